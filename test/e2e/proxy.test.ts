/**
 * A corporate runner: credentials only in REGISTRY_AUTH_FILE (as `buildah login` leaves them),
 * every HTTP request forced through HTTP_PROXY. Plan (upstream API, `requires` probes, registry)
 * and apply (a real buildah build, push, merge, tag, signature) work, and the forward proxy shows
 * it carried each kind of traffic. With NO_PROXY naming the hosts, the proxy sees nothing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxy } from '../rig/forward-proxy.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
let secured: TestRegistry;
let proxy: ForwardProxy;
let env: Record<string, string>;
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

beforeAll(async () => {
  [world, secured, proxy] = await Promise.all([
    startSeedWorld({ sources: { mattermost: ['10.4.1'], mostlymatter: [], outline: [] } }),
    startRegistry({ auth: { username: 'runner', password: 'proxy-pw-71' } }),
    startForwardProxy(),
  ]);
  const { mattermost, mostlymatter } = world.config.apps;
  await world.writeConfig({
    ...world.config,
    // No username/password in the config: the auth file is the only place they are.
    registry: { url: secured.url('mirror'), insecure: true },
    defaults: { ...world.config.defaults, maxVersions: 1, platforms: ['linux/amd64'], attest: { sbom: false, provenance: false, sign: { key: 'env:MIRROR_SIGNING_KEY' } } },
    apps: { mattermost, mostlymatter },
  });
  const authFile = path.join(world.dir, 'auth.json');
  await writeFile(authFile, JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from('runner:proxy-pw-71').toString('base64') } } }), { mode: 0o600 });
  const registriesConf = path.join(world.dir, 'registries.conf');
  await writeFile(registriesConf, `[[registry]]\nlocation = "${world.registry.host}"\ninsecure = true\n`);
  env = { REGISTRY_AUTH_FILE: authFile, MIRROR_SIGNING_KEY: signingKey, CONTAINERS_REGISTRIES_CONF: registriesConf, HOME: world.dir };
}, 120_000);
afterAll(async () => { await Promise.all([world?.stop(), secured?.stop(), proxy?.stop()]); });

describe('HTTP_PROXY and REGISTRY_AUTH_FILE on a runner', () => {
  it('plan and apply work with every request through the proxy, and with NO_PROXY matching the proxy sees nothing', async () => {
    const upstreamHost = new URL(world.upstream.url).host;
    // Both spellings, as runner images set them: busybox wget in the build reads only http_proxy.
    const proxied = { ...env, HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url };

    // Given NO_PROXY naming both hosts, plan works and the proxy carries nothing
    const direct = await mirror(['plan', '--detailed-exitcode'], { cwd: world.dir, env: { ...proxied, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' } });
    expect(direct.exitCode, direct.stderr).toBe(2);
    expect(proxy.carried).toEqual([]);

    // When plan runs with everything through the proxy
    const plan = await mirror(['plan', '--detailed-exitcode'], { cwd: world.dir, env: proxied });
    expect(plan.exitCode, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/build\s+mattermost@10\.4\.1\/linux\/amd64/);
    // Then the upstream API, the requires probe and the registry (with the auth file's credentials) went through it
    const seen = (host: string, method: string, pathPart: string) => proxy.carried.some((c) => c.host === host && c.method === method && c.path.includes(pathPart));
    expect(seen(upstreamHost, 'GET', '/repos/mattermost/mattermost/releases')).toBe(true);
    expect(seen(upstreamHost, 'GET', '/api/v4/projects/')).toBe(true);
    expect(seen(upstreamHost, 'HEAD', '/projects/mostlymatter/mostlymatter-amd64-v')).toBe(true);
    expect(seen(secured.host, 'GET', '/v2/mirror/mattermost/tags/list')).toBe(true);

    // When apply runs through the proxy (a real build, push, merge, tag and signature)
    const before = proxy.carried.length;
    const apply = await mirror(['apply', '--auto-approve', '--target', 'mattermost'], { cwd: world.dir, env: proxied });
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/Apply: \d+ done, 0 failed/);
    // Then the pushes went through the proxy with the auth file's credentials
    const during = proxy.carried.slice(before);
    expect(during.some((c) => c.host === secured.host && c.method === 'PUT' && c.path === '/v2/mirror/mattermost/manifests/10.4.1')).toBe(true);
    expect(during.some((c) => c.host === secured.host && c.method === 'PUT' && c.path.includes('/v2/mirror/mattermost/blobs/uploads/'))).toBe(true);
    // And buildah got the same environment: the build's own download (curl $MM_PACKAGE in a RUN
    // step, which buildah hands the proxy variables) went through the proxy too
    expect(during.some((c) => c.host === upstreamHost && c.method === 'GET' && c.path.startsWith('/releases/10.4.1/mattermost-10.4.1-linux-amd64.tar.gz'))).toBe(true);

    // And afterwards, with NO_PROXY matching, the proxy sees nothing more
    const after = proxy.carried.length;
    const again = await mirror(['plan', '--detailed-exitcode', '--target', 'mattermost'], { cwd: world.dir, env: { ...proxied, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(proxy.carried.length).toBe(after);
  }, 300_000);
});
