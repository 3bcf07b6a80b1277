/**
 * Attestations through the OCI 1.1 referrers API end to end: a registry that has it (the rig's
 * referrers front for Distribution, answering OCI-Subject) gets no `sha256-<hex>` fallback tag;
 * plan sees the attestations through the API (nothing left to do) and verify passes. The tag
 * fallback path runs in attest.test.ts against plain Distribution 2.8.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenRegistry, type TokenRegistry } from '../rig/token-registry.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
let front: TokenRegistry;
let env: Record<string, string>;
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

beforeAll(async () => {
  [world, front] = await Promise.all([
    startSeedWorld({ sources: { mattermost: ['10.4.1'], mostlymatter: [], outline: [] } }),
    startTokenRegistry({ users: { ci: 'pw' }, referrers: {} }),
  ]);
  world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.4.1' }]);
  const { mattermost } = world.config.apps;
  await world.writeConfig({
    ...world.config,
    registry: { url: front.url('mirror'), insecure: true, username: 'env:MIRROR_REGISTRY_USERNAME', password: 'env:MIRROR_REGISTRY_PASSWORD' },
    defaults: { ...world.config.defaults, maxVersions: 1, platforms: ['linux/amd64'], attest: { sbom: false, provenance: true, sign: { key: 'env:MIRROR_SIGNING_KEY' } } },
    apps: { mattermost },
  });
  const registriesConf = path.join(world.dir, 'registries.conf');
  await writeFile(registriesConf, `[[registry]]\nlocation = "${world.registry.host}"\ninsecure = true\n`);
  env = { MIRROR_REGISTRY_USERNAME: 'ci', MIRROR_REGISTRY_PASSWORD: 'pw', MIRROR_SIGNING_KEY: signingKey, CONTAINERS_REGISTRIES_CONF: registriesConf };
}, 120_000);
afterAll(async () => { await Promise.all([world?.stop(), front?.stop()]); });

describe('referrers API end to end', () => {
  it('apply attaches through the API (no fallback tag), plan sees them there, verify passes', async () => {
    const apply = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env });
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Apply: 4 done, 0 failed, 0 skipped.'); // build, merge, attest, latest
    const tags = JSON.parse((await execa('skopeo', ['list-tags', '--tls-verify=false', '--creds', 'ci:pw', `docker://${front.host}/mirror/mattermost`])).stdout).Tags as string[];
    expect(tags.sort()).toEqual(['10.4.1', 'latest']);
    expect(front.referrersRequests.length).toBeGreaterThan(0);
    const plan = await mirror(['plan', '--detailed-exitcode'], { cwd: world.dir, env });
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    const verify = await mirror(['verify', '--json'], { cwd: world.dir, env });
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; versions: { attestations: Record<string, { status: string; referrer?: string }> }[] };
    expect(report.ok).toBe(true);
    expect(report.versions[0].attestations).toMatchObject({ signature: { status: 'ok' }, provenance: { status: 'ok' } });
    // And the referrers verify checked are the ones the API lists (asked of the API, not a tag)
    const listed = front.referrersRequests.filter((r) => r.repository === 'mirror/mattermost');
    expect(listed.length).toBeGreaterThan(1);
  }, 300_000);
});
