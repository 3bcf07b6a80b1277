/**
 * Feedback while mirror works (issue 19): a progress line while planning on a terminal (tmux, a
 * slow upstream behind the rig's delay proxy), a line per app in CI, and in CI an unattended apply
 * prints its plan before acting and a heartbeat while a real buildah build runs.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDelayProxy, type DelayProxy } from '../rig/delay-proxy.js';
import { startTerminal, type Terminal } from '../rig/tmux.js';
import { seedConfig, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror, ROOT } from './cli.js';

let world: SeedWorld;
let slow: DelayProxy;
let terminal: Terminal | undefined;
beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: ['10.4.1'], mostlymatter: [], outline: [] } });
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 1, attest: { sbom: false, provenance: false, sign: false } } });
  // The same world read through 400 ms round trips: the plan takes seconds, long enough to see its progress.
  slow = await startDelayProxy(world.upstream.url.replace(/^http:\/\//, '').replace(/\/.*$/, ''), 400);
  await writeFile(path.join(world.dir, 'slow.config.json'), JSON.stringify(seedConfig(world.registry.url('mirror'), slow.url, world.sources?.repos)));
}, 120_000);
afterEach(async () => { await terminal?.kill(); terminal = undefined; });
afterAll(async () => { await slow?.stop(); await world?.stop(); });

describe('progress', () => {
  it('on a terminal, planning shows one refreshed progress line, gone once the plan shows', async () => {
    terminal = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'plan', '--config', 'slow.config.json'], {
      cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
    });
    const during = await terminal.waitFor(/Reading upstream \d\/3 apps, registry \d\/4 repositories…/, 30_000);
    expect(during.split('\n').filter((l) => l.includes('Reading upstream'))).toHaveLength(1);
    await terminal.waitFor('q quit', 60_000);
    await terminal.keys('q');
    await terminal.waitFor('[exit 0]');
    expect(await terminal.scrollback()).not.toContain('Reading upstream');
  }, 90_000);

  it('in CI, plan prints a line per app on stderr and nothing more on stdout', async () => {
    const r = await mirror(['plan'], { cwd: world.dir, env: { CI: 'true' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const read = r.stderr.split('\n').filter((l) => l.startsWith('Read '));
    expect(read.map((l) => /^Read (\w+) \([123]\/3 apps\)$/.exec(l)?.[1]).sort(), r.stderr).toEqual(['mattermost', 'mostlymatter', 'outline']);
    expect(r.stdout).not.toContain('Read ');
    expect(r.stdout).not.toContain('Reading upstream');
  });

  it('plan --out says on stderr where the plan went and what to run next', async () => {
    const r = await mirror(['plan', '--out', 'next.json'], { cwd: world.dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('Saved the plan to next.json. To apply exactly this plan: mirror apply next.json');
  });

  it('in CI, apply --auto-approve prints the plan before the first action, and a heartbeat while a build runs', async () => {
    await world.writeConfig({ ...world.config, apps: { mattermost: world.config.apps.mattermost } });
    // (a beat every 0.2 s: an unloaded machine builds this image in about a second, which a 1 s beat could miss)
    const r = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: { CI: 'true', MIRROR_HEARTBEAT_SECONDS: '0.2' }, timeoutMs: 120_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const planAt = lines.findIndex((l) => /^Plan: 2 builds, 1 merge, 1 tag move/.test(l));
    const firstStart = lines.findIndex((l) => l.endsWith(': started'));
    expect(planAt, r.stdout).toBeGreaterThanOrEqual(0);
    expect(planAt).toBeLessThan(firstStart);
    expect(r.stdout).toMatch(/^still building mattermost@10\.4\.1\/linux\/(amd64|arm64) \[\d+ s, step \d+\/\d+\]$/m);
  }, 150_000);

  it('on a terminal, shrinking the window during a real apply leaves no duplicated header or rows', async () => {
    // Given the version the CI apply built, rebuilt from source (so real buildah builds run)
    terminal = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'apply', '--replace', 'mattermost@10.4.1'], {
      cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' }, width: 100, height: 30,
    });
    const t = terminal;
    await t.waitFor('type yes', 30_000);
    await t.type('yes');
    await t.keys('Enter');
    // When the window shrinks to 50×10 while builds run (narrower and shorter than the frame)
    await t.waitFor(/running$/m, 60_000);
    await t.resize(50, 10);
    await new Promise((r) => setTimeout(r, 800));
    // Then the live view is drawn once: one header, each running build on one row
    const during = await t.screen();
    expect(during.split('\n').filter((l) => l.startsWith('mirror apply — ')), during).toHaveLength(1);
    expect(during.split('\n').filter((l) => /build +mattermost@10\.4\.1\/linux\/amd64/.test(l)), during).toHaveLength(1);
    // And after the run the scrollback holds one final frame
    await t.waitFor('[exit 0]', 120_000);
    const out = await t.scrollback();
    expect(out.match(/^mirror apply — \d+ actions$/gm), out).toHaveLength(1);
    expect(out.match(/^\+ build +mattermost@10\.4\.1\/linux\/amd64 /gm), out).toHaveLength(1);
    expect(out).toContain('Apply: 4 done, 0 failed, 0 skipped.');
  }, 180_000);
});
