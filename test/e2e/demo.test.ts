/**
 * `npm run demo` is the README's first command: it must not break silently again. This runs
 * demo/run.js as `npm run demo` does after its build (npm test has built and installed the tools)
 * and checks it tells the whole migration and ends with verify passing.
 */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli.js';

describe('npm run demo', () => {
  it('exits 0: plan adopts, rebuilds and builds; apply; the next plan is empty; verify passes last', async () => {
    const r = await execa(process.execPath, [path.join(ROOT, 'demo/run.js')], { cwd: ROOT, reject: false, timeout: 900_000, env: { NO_COLOR: '1' } });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(out).toMatch(/< import mattermost@10\.4\.0 +in registry, not in state: adopt/);
    expect(out).toMatch(/~ merge +mostlymatter@10\.4\.0 +single-platform image: rebuild as a multi-arch index/);
    expect(out).toContain('Plan: 14 builds, 7 merges, 4 tag moves, 8 attestations, 1 import.');
    expect(out).toContain('No changes.');
    expect(out).toMatch(/mattermost@10\.4\.0 +sha256:\S+ +ok +ok +adopted/);
    expect(out.trimEnd()).toMatch(/\$ mirror verify\n[\s\S]*Verified 8 versions: every attestation is present and valid \(1 adopted without provenance\)\.$/);
  }, 960_000);
});
