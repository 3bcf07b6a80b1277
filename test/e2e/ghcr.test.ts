/**
 * The seed's own registry is ghcr.io: plan, apply, verify and prune against the rig's GHCR-like
 * registry (bearer tokens from a realm on another host, 405 on the registry API's DELETE, the
 * GitHub Packages REST API). Tokens are asked with the scopes each step needs, and prune goes
 * through the Packages API.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/config/schema.js';
import { startTokenRegistry, type TokenRegistry } from '../rig/token-registry.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

const TOKEN = 'ghp_e2e0000rigtoken';
let world: SeedWorld;
let ghcr: TokenRegistry;
let env: Record<string, string>;
let config: (maxVersions: number, retention?: { keepLatest: number }) => MirrorConfig;
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const run = (args: string[]) => mirror(args, { cwd: world.dir, env });
const tags = async () => JSON.parse((await execa('skopeo', ['list-tags', '--tls-verify=false', '--creds', 'tobi:ghcr-pw', `docker://${ghcr.host}/tobi/mirror/mattermost`])).stdout).Tags.sort();

beforeAll(async () => {
  [world, ghcr] = await Promise.all([
    startSeedWorld({ sources: { mattermost: ['10.4.1', '10.4.0'], mostlymatter: [], outline: [] } }),
    startTokenRegistry({ users: { tobi: 'ghcr-pw' }, ghcr: { owner: 'tobi', ownerType: 'User', token: TOKEN } }),
  ]);
  world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.4.1' }, { tag_name: 'v10.4.0' }]);
  const { mattermost } = world.config.apps;
  config = (maxVersions, retention) => ({
    ...world.config,
    registry: { url: `${ghcr.host}/tobi/mirror`, insecure: true, username: 'env:MIRROR_REGISTRY_USERNAME', password: 'env:MIRROR_REGISTRY_PASSWORD' },
    defaults: { ...world.config.defaults, maxVersions, platforms: ['linux/amd64'], attest: { sbom: false, provenance: true, sign: { key: 'env:MIRROR_SIGNING_KEY' } }, ...(retention ? { retention } : {}) },
    apps: { mattermost },
  });
  await world.writeConfig(config(2));
  const registriesConf = path.join(world.dir, 'registries.conf');
  await writeFile(registriesConf, `[[registry]]\nlocation = "${world.registry.host}"\ninsecure = true\n`);
  env = {
    MIRROR_REGISTRY_USERNAME: 'tobi', MIRROR_REGISTRY_PASSWORD: 'ghcr-pw', MIRROR_SIGNING_KEY: signingKey,
    GITHUB_TOKEN: TOKEN, GITHUB_API_URL: ghcr.apiUrl, CONTAINERS_REGISTRIES_CONF: registriesConf,
    // The rig is not called ghcr.io: named as a GitHub registry, as a GitHub Enterprise host would be.
    MIRROR_GITHUB_PACKAGES_HOSTS: ghcr.host,
  };
}, 120_000);
afterAll(async () => { await Promise.all([world?.stop(), ghcr?.stop()]); });

describe('GHCR-like registry end to end', () => {
  it('plan, apply, verify, then prune through the Packages API; tokens scoped to what each step needs', async () => {
    // When plan and apply run against the GHCR-like registry
    const plan = await run(['plan', '--detailed-exitcode']);
    expect(plan.exitCode, plan.stderr).toBe(2);
    const apply = await run(['apply', '--auto-approve']);
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/Apply: 7 done, 0 failed, 0 skipped\./); // 2 builds, 2 merges, latest, 2 attests
    expect(await tags()).toEqual(expect.arrayContaining(['10.4.0', '10.4.1', 'latest']));
    // Then verify passes
    const verify = await run(['verify']);
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);

    // And every token was asked for the image's repository with the actions of the request, never more
    const scopes = new Set(ghcr.tokenRequests.flatMap((r) => r.scopes));
    const repo = 'repository:tobi/mirror/mattermost';
    expect([...scopes].every((s) => [`${repo}:pull`, `${repo}:pull,push`, `${repo}:pull,push,delete`].includes(s)), [...scopes].join(' ')).toBe(true);
    expect(scopes).toContain(`${repo}:pull,push`);
    expect(ghcr.tokenRequests.every((r) => r.grant === 'basic' && r.granted && r.service === 'rig-registry')).toBe(true);

    // When the window shrinks to one version with retention keepLatest 1
    await world.writeConfig(config(1, { keepLatest: 1 }));
    const prunePlan = await run(['plan', '--json']);
    expect(prunePlan.exitCode, prunePlan.stderr).toBe(0);
    expect(JSON.parse(prunePlan.stdout).summary).toMatchObject({ prune: 1 });
    const before = ghcr.apiRequests.length;
    const prune = await run(['apply', '--auto-approve']);
    expect(prune.exitCode, prune.stdout + prune.stderr).toBe(0);
    // Then 10.4.0 is gone, through the Packages API
    expect(await tags()).not.toContain('10.4.0');
    expect(await tags()).toEqual(expect.arrayContaining(['10.4.1', 'latest']));
    const deletes = ghcr.apiRequests.slice(before).filter((r) => r.method === 'DELETE');
    expect(deletes.length).toBeGreaterThanOrEqual(2); // the index and its platform manifest (and attestation referrers)
    expect(deletes.every((r) => r.status === 204 && r.path.startsWith('/users/tobi/packages/container/mirror%2Fmattermost/versions/'))).toBe(true);
    // And verify still passes for what is left
    const after = await run(['verify']);
    expect(after.exitCode, after.stdout + after.stderr).toBe(0);
  }, 300_000);
});
