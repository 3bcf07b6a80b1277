import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/types.js';
import { publishVersions, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

const KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
let world: SeedWorld;
beforeAll(async () => { world = await startSeedWorld(); });
afterAll(async () => { await world?.stop(); });

const plan = async (args: string[] = [], env: Record<string, string> = {}) => mirror(['plan', ...args], { cwd: world.dir, env });
const planJson = async (args: string[] = []) => {
  const r = await plan(['--json', ...args]);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Plan;
};

describe('mirror plan against the seed-shaped rig', () => {
  it('computes windows through pagination, prereleases, drafts, odd tags, -limitless tags and a requires probe', async () => {
    // Given the seed world (5 releases per page upstream) and an empty registry
    // When planning with --json
    const result = await plan(['--json']);
    // Then stdout is only JSON, warnings go to stderr
    expect(result.exitCode, result.stderr).toBe(0);
    const p = JSON.parse(result.stdout) as Plan;
    expect(result.stderr).toContain('mattermost: skipped tag "server-$(touch /tmp/pwned)"');
    expect(result.stderr).toContain('mostlymatter: dropped 10.3.2: required');
    const windows = Object.fromEntries(p.apps.map((a) => [a.name, a.window]));
    expect(windows.mattermost).toEqual(['10.4.1', '10.4.0', '10.3.2', '10.3.1', '10.3.0', '10.2.1', '10.2.0', '10.1.3', '10.1.2', '10.1.1']);
    expect(windows.mostlymatter).toEqual(['10.4.1', '10.4.0', '10.3.1', '10.3.0', '10.2.1', '10.2.0', '10.1.3', '10.1.2', '10.1.1', '10.1.0']);
    expect(windows.outline).toEqual(['1.10.0', '1.9.10', '1.9.2', '1.9.1', '1.9.0']);
    // And every page of GitHub's date-ordered listing was read (4 of 4 for mattermost): a later page could hold a higher version
    expect(world.upstream.requestCount('/repos/mattermost/mattermost/releases')).toBe(4);
    // And builds = window × platforms, one merge per version depending on its builds, latest on the semver max
    expect(p.summary).toEqual({ build: 60, merge: 30, tag: 4, attest: 30, prune: 0, import: 0 });
    const merge = p.actions.find((a) => a.id === 'merge:mattermost@10.3.1');
    expect(merge?.dependsOn).toEqual(['build:mattermost@10.3.1/linux/amd64', 'build:mattermost@10.3.1/linux/arm64']);
    const tags = p.actions.filter((a) => a.type === 'tag').map((a) => `${a.address}→${a.version}`);
    expect(tags).toEqual(['mattermost:latest→10.4.1', 'mostlymatter:latest→10.4.1', 'outline/base-outline:latest→1.10.0', 'outline:latest→1.10.0']);
    expect(p.actions.find((a) => a.id === 'build:outline@1.9.10/linux/arm64')?.dependsOn).toEqual(['build:outline/base-outline@1.9.10/linux/arm64']);
    expect(p.state).toEqual({ lineage: null, serial: 0 });
    expect(p.configHash).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('--detailed-exitcode: 2 with changes, 0 once the registry holds the whole window (adopted)', async () => {
    expect((await plan(['--detailed-exitcode'])).exitCode).toBe(2);
    // Given every window version published as a two-platform index and latest on the max
    const p = await planJson();
    for (const app of p.apps) {
      for (const image of app.images) await publishVersions(world.backend, image, app.window, { latest: app.window[0] });
    }
    // (issue 14: with no state, such a registry is adopted, not taken as mirrored: one import per
    // version and image, and an attest for the signature and SBOM it lacks; nothing is built)
    const adopting = await planJson();
    const indexes = p.apps.reduce((n, a) => n + a.window.length * a.images.length, 0);
    expect(adopting.summary).toEqual({ build: 0, merge: 0, tag: 0, attest: indexes, prune: 0, import: indexes });
    const applied = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: { MIRROR_SIGNING_KEY: KEY }, timeoutMs: 900_000 });
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    // When planning again
    const result = await plan(['--detailed-exitcode']);
    // Then nothing is proposed
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('No changes. The registry matches the config (3 apps, 25 versions).');
  }, 900_000);

  it('a new upstream release yields its builds, one merge and the latest move, nothing else', async () => {
    world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.5.0' }, ...(await import('../rig/seed-world.js')).MATTERMOST_RELEASES]);
    const p = await planJson();
    // (the state now records the adopted window, so 10.5.0 is above everything recorded: a new upstream version)
    expect(p.actions.map((a) => `${a.type} ${a.address} (${a.reason})`)).toEqual([
      'build mattermost@10.5.0/linux/amd64 (new upstream version)',
      'build mattermost@10.5.0/linux/arm64 (new upstream version)',
      'merge mattermost@10.5.0 (new upstream version)',
      'attest mattermost@10.5.0 (new index needs SBOM, provenance, signature)',
      'tag mattermost:latest (latest moves 10.4.1 → 10.5.0)',
    ]);
    // And the text and markdown views say the same
    const text = await plan(['--target', 'mattermost']);
    expect(text.stdout).toMatch(/\+ build\s+mattermost@10\.5\.0\/linux\/amd64/);
    expect(text.stdout).toContain('Plan: 2 builds, 1 merge, 1 tag move, 1 attestation.');
    const md = await plan(['--format', 'markdown']);
    expect(md.stdout).toContain('| mattermost | 10.5.0 … 10.1.2 (10 versions) | 10.5.0 | 2 | 1 | 1 | 1 | 0 | 0 | 0 |');
    expect(md.stdout).toContain('<details><summary><b>mattermost</b>: 2 builds, 1 merge, 1 tag move, 1 attestation</summary>');
  });

  it('--out saves the plan JSON; --target narrows it; flags come from MIRROR_* too', async () => {
    const out = path.join(world.dir, 'plan.json');
    const r = await plan([], { MIRROR_OUT: out, MIRROR_TARGET: 'mattermost@10.5.0' });
    expect(r.exitCode, r.stderr).toBe(0);
    const saved = JSON.parse(await readFile(out, 'utf8')) as Plan;
    expect(saved.actions.map((a) => a.id)).toEqual(['build:mattermost@10.5.0/linux/amd64', 'build:mattermost@10.5.0/linux/arm64', 'merge:mattermost@10.5.0', 'attest:mattermost@10.5.0']);
  });
});

describe('mirror plan errors: exit 1, one clear sentence, no stack trace', () => {
  const expectCleanError = (r: { exitCode: number; stderr: string; stdout: string }, pattern: RegExp) => {
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('bad config names the path', async () => {
    const bad = structuredClone(world.config) as Record<string, any>;
    delete bad.apps.mattermost.upstream.repository;
    await writeFile(path.join(world.dir, 'bad.json'), JSON.stringify(bad));
    expectCleanError(await plan(['--config', 'bad.json']), /^Error: Invalid config .*bad\.json: apps\.mattermost\.upstream\.repository: Required\n/);
  });

  it('upstream garbage and rate limits name the app and what to do', async () => {
    world.upstream.github.setMode('outline/outline', 'html');
    expectCleanError(await plan(), /^Error: Upstream of app "outline" \(http:\/\/127\.0\.0\.1:\d+\/repos\/outline\/outline\/releases\?per_page=100\): answered HTML instead of JSON\./);
    world.upstream.github.setMode('outline/outline', 'rate-limited');
    expectCleanError(await plan(), /^Error: Upstream of app "outline" .*GitHub API rate limit exceeded; it resets at .*\nSet GITHUB_TOKEN/);
    world.upstream.github.setMode('outline/outline', 'ok');
  });

  it('registry 401 with wrong credentials names the registry and the credentials source', async () => {
    const { startRegistry } = await import('../rig/registry.js');
    const secured = await startRegistry({ auth: { username: 'ci', password: 'right' } });
    try {
      const cfg = { ...world.config, registry: { url: secured.url('mirror'), insecure: true, username: 'ci', password: 'env:REG_PASSWORD' } };
      await writeFile(path.join(world.dir, 'auth.json'), JSON.stringify(cfg));
      const r = await plan(['--config', 'auth.json'], { REG_PASSWORD: 'wrong-secret' });
      expectCleanError(r, new RegExp(`^Error: Registry ${secured.host} rejected the credentials from config \\(user "ci"\\)`));
      expect(r.stderr).not.toContain('wrong-secret');
      const ok = await plan(['--config', 'auth.json', '--json'], { REG_PASSWORD: 'right' });
      expect(ok.exitCode, ok.stderr).toBe(0);
    } finally { await secured.stop(); }
  });

  it('a corrupt state file is named with its backup and left untouched', async () => {
    const state = path.join(world.dir, '.mirror', 'state.json');
    await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(state), { recursive: true }));
    await writeFile(state, '{"formatVersion":1,"lineage":');
    expectCleanError(await plan(), new RegExp(`^Error: State file ${state.replace(/[.]/g, '\\.')} is corrupt: not valid JSON`));
    expect(await readFile(state, 'utf8')).toBe('{"formatVersion":1,"lineage":');
    await import('node:fs/promises').then((fs) => fs.rm(state));
  });

  it('an unknown flag is one sentence pointing at --help', async () => {
    expectCleanError(await plan(['--frobnicate']), /^Error: Nonexistent flag: --frobnicate\nSee `mirror plan --help`/);
  });
});
