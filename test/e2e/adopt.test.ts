/**
 * The migration, end to end against the real registry with real builds: a registry an earlier
 * pipeline filled (two multi-arch versions, one single-platform image), no state. The first plan
 * adopts the complete indexes, rebuilds the leftover and builds what is missing; apply leaves the
 * adopted digests untouched; verify passes (adopted provenance shown, failed by --strict); the
 * next plan is empty. Then `apply --replace` rebuilds one adopted version from source.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/types.js';
import { pushTestImage } from '../rig/oci.js';
import { publishVersions, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

const KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
let world: SeedWorld;
let published: Record<string, string>;
beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: ['10.3.1', '10.4.0', '10.4.1'], mostlymatter: [], outline: [] } });
  const { mattermost } = world.config.apps;
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 4 }, apps: { mattermost } });
  world.upstream.github.setReleases('mattermost/mattermost', ['10.4.1', '10.4.0', '10.3.2', '10.3.1'].map((v) => ({ tag_name: `v${v}` })));
  // Given the old pipeline's registry: 10.4.0 and 10.3.2 multi-arch (latest → 10.4.0), 10.3.1 single-platform, 10.4.1 missing
  published = await publishVersions(world.backend, 'mattermost', ['10.3.2', '10.4.0'], { latest: '10.4.0' });
  await pushTestImage(world.backend, 'mattermost', { architecture: 'amd64', tag: '10.3.1' });
}, 120_000);
afterAll(async () => { await world?.stop(); });

const run = (args: string[]) => mirror(args, { cwd: world.dir, env: { MIRROR_SIGNING_KEY: KEY }, timeoutMs: 300_000 });
const tagDigest = async (tag: string) => (await world.backend.headManifest('mattermost', tag))?.digest;
const readState = async () => JSON.parse(await readFile(path.join(world.dir, '.mirror', 'state.json'), 'utf8'));

describe('adopting a registry the old pipeline filled', () => {
  it('first plan: exactly the imports, the rebuild of the single-platform version and the missing builds', async () => {
    const r = await run(['plan', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(plan.actions.map((a) => `${a.id} (${a.reason})`)).toEqual([
      'build:mattermost@10.4.1/linux/amd64 (missing in registry)',
      'build:mattermost@10.4.1/linux/arm64 (missing in registry)',
      'merge:mattermost@10.4.1 (missing in registry)',
      'attest:mattermost@10.4.1 (new index needs SBOM, provenance, signature)',
      'import:mattermost@10.4.0 (in registry, not in state: adopt)',
      'attest:mattermost@10.4.0 (not attested: needs SBOM, signature)',
      'import:mattermost@10.3.2 (in registry, not in state: adopt)',
      'attest:mattermost@10.3.2 (not attested: needs SBOM, signature)',
      'build:mattermost@10.3.1/linux/amd64 (single-platform image: rebuild as a multi-arch index)',
      'build:mattermost@10.3.1/linux/arm64 (single-platform image: rebuild as a multi-arch index)',
      'merge:mattermost@10.3.1 (single-platform image: rebuild as a multi-arch index)',
      'attest:mattermost@10.3.1 (new index needs SBOM, provenance, signature)',
      'tag:mattermost:latest (latest moves 10.4.0 → 10.4.1)',
    ]);
    expect(plan.summary).toEqual({ build: 4, merge: 2, tag: 1, attest: 4, prune: 0, import: 2 });
  });

  it('apply adopts without touching the adopted digests; verify passes showing adopted provenance, --strict fails; the next plan is empty', async () => {
    const applied = await run(['apply', '--auto-approve']);
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    expect(await tagDigest('10.4.0')).toBe(published['10.4.0']);
    expect(await tagDigest('10.3.2')).toBe(published['10.3.2']);
    const state = await readState();
    expect(state.resources['mattermost@10.4.0']).toMatchObject({ origin: 'adopted', digest: published['10.4.0'] });
    expect(state.resources['mattermost@10.3.1']).toMatchObject({ origin: 'built', platforms: ['linux/amd64', 'linux/arm64'] });
    expect(state.resources['mattermost:latest'].digest).toBe(state.resources['mattermost@10.4.1'].digest);
    expect(state.history.filter((e: any) => e.action === 'import').map((e: any) => `${e.operation} ${e.address}`).sort()).toEqual([
      'apply mattermost@10.3.2', 'apply mattermost@10.3.2/linux/amd64', 'apply mattermost@10.3.2/linux/arm64',
      'apply mattermost@10.4.0', 'apply mattermost@10.4.0/linux/amd64', 'apply mattermost@10.4.0/linux/arm64',
    ]);
    const verified = await run(['verify']);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^mattermost@10\.4\.0\s+sha256:\S+\s+ok\s+ok\s+adopted\s+ok$/m);
    expect(verified.stdout).toMatch(/^mattermost@10\.4\.1\s+sha256:\S+\s+ok\s+ok\s+ok\s+ok$/m);
    expect(verified.stdout).toContain('(2 adopted without provenance)');
    const strict = await run(['verify', '--strict']);
    expect(strict.exitCode).toBe(1);
    expect(strict.stdout).toContain('2 of 4 versions have missing or invalid attestations (--strict: adopted versions without provenance fail).');
    const again = await run(['plan', '--detailed-exitcode']);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
  });

  it('apply --replace rebuilds exactly that version: new index digest, version tag moved, history holds old → new', async () => {
    const before = await readState();
    const old = before.resources['mattermost@10.4.0'].digest;
    const plan = JSON.parse((await run(['plan', '--replace', 'mattermost@10.4.0', '--json'])).stdout) as Plan;
    expect(plan.actions.map((a) => a.id)).toEqual([
      'build:mattermost@10.4.0/linux/amd64', 'build:mattermost@10.4.0/linux/arm64', 'merge:mattermost@10.4.0', 'attest:mattermost@10.4.0',
    ]);
    const applied = await run(['apply', '--replace', 'mattermost@10.4.0', '--auto-approve']);
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    const after = await readState();
    const fresh = after.resources['mattermost@10.4.0'];
    expect(fresh.digest).not.toBe(old);
    expect(fresh.origin).toBe('built');
    expect(await tagDigest('10.4.0')).toBe(fresh.digest);
    expect(after.history.find((e: any) => e.action === 'merge' && e.address === 'mattermost@10.4.0')).toMatchObject({ previous: old, digest: fresh.digest });
    // Nothing else moved
    for (const address of ['mattermost@10.4.1', 'mattermost@10.3.2', 'mattermost@10.3.1', 'mattermost:latest']) expect(after.resources[address]).toEqual(before.resources[address]);
    expect((await run(['verify', 'mattermost@10.4.0', '--strict'])).exitCode).toBe(0);
    // An unknown address is refused before anything runs
    const unknown = await run(['plan', '--replace', 'mattermost@9.0.0']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('--replace mattermost@9.0.0: the state records no such version');
  });
});
