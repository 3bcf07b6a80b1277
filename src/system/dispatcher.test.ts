/**
 * The registry client through a forward proxy (test/rig/forward-proxy.ts counts what it carries):
 * plain HTTP forwarded, HTTPS tunnelled with CONNECT, the token realm on another host through the
 * proxy too, and nothing at all through it when NO_PROXY names the host.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxy } from '../../test/rig/forward-proxy.js';
import { pushTestImage } from '../../test/rig/oci.js';
import { startRegistry, type TestRegistry } from '../../test/rig/registry.js';
import { createTestPki } from '../../test/rig/tls.js';
import { startTokenRegistry, type TokenRegistry } from '../../test/rig/token-registry.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import { proxiedFetch, proxySettings } from './dispatcher.js';

let proxy: ForwardProxy;
let plain: TestRegistry;
let secure: TestRegistry;
let token: TokenRegistry;
let authFile: string;
beforeAll(async () => {
  const pki = await createTestPki(await mkdtemp(path.join(tmpdir(), 'mirror-pki-')));
  [proxy, plain, secure, token] = await Promise.all([
    startForwardProxy(),
    startRegistry({ auth: { username: 'ci', password: 'pw' } }),
    startRegistry({ tls: { certificate: pki.certificate, key: pki.key } }),
    startTokenRegistry({ users: { ci: 'pw' } }),
  ]);
  // Credentials only in REGISTRY_AUTH_FILE, as `buildah login` leaves them.
  authFile = path.join(await mkdtemp(path.join(tmpdir(), 'mirror-auth-')), 'auth.json');
  const auth = Buffer.from('ci:pw').toString('base64');
  await writeFile(authFile, JSON.stringify({ auths: { [plain.host]: { auth }, [token.host]: { auth } } }));
  for (const [reg, creds] of [[plain, { username: 'ci', password: 'pw' }], [secure, {}], [token, { username: 'ci', password: 'pw' }]] as const) {
    const b = createRegistryBackend({ url: reg.url('ns'), insecure: true, ...creds }, { env: { HOME: '/nonexistent' } });
    await pushTestImage(b, 'app', { architecture: 'amd64', tag: 'v1' });
    await b.close();
  }
}, 60_000);
afterAll(async () => { await Promise.all([proxy?.stop(), plain?.stop(), secure?.stop(), token?.stop()]); });

async function tags(url: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const b = createRegistryBackend({ url, insecure: true }, { env: { HOME: '/nonexistent', REGISTRY_AUTH_FILE: authFile, ...env }, retryBaseMs: 5 });
  try { return await b.listTags('app'); } finally { await b.close(); }
}

describe('proxy settings from the environment', () => {
  it('reads lower-case forms first, lets HTTP_PROXY carry HTTPS too, and is off without a proxy', () => {
    expect(proxySettings({ HTTPS_PROXY: 'http://up:1', https_proxy: 'http://low:1', NO_PROXY: 'a' })).toEqual({ httpProxy: '', httpsProxy: 'http://low:1', noProxy: 'a' });
    expect(proxySettings({ HTTP_PROXY: 'http://p:3128' })).toEqual({ httpProxy: 'http://p:3128', httpsProxy: 'http://p:3128', noProxy: '' });
    expect(proxySettings({ NO_PROXY: '*' })).toBeUndefined();
  });
});

describe('the registry client through a forward proxy', () => {
  it('forwards plain-HTTP registry requests through HTTP_PROXY, with credentials from REGISTRY_AUTH_FILE', async () => {
    const before = proxy.carried.length;
    expect(await tags(plain.url('ns'), { HTTP_PROXY: proxy.url })).toEqual(['v1']);
    const seen = proxy.carried.slice(before);
    expect(seen).toContainEqual({ kind: 'http', host: plain.host, method: 'GET', path: '/v2/ns/app/tags/list?n=1000' });
    expect(seen.every((c) => c.host === plain.host)).toBe(true);
  });

  it('tunnels an HTTPS registry with CONNECT through https_proxy', async () => {
    const before = proxy.carried.length;
    expect(await tags(secure.url('ns'), { https_proxy: proxy.url })).toEqual(['v1']);
    expect(proxy.carried.slice(before)).toContainEqual({ kind: 'connect', host: secure.host, method: 'CONNECT', path: '' });
  });

  it('sends the token realm on another host through the proxy as well', async () => {
    const before = proxy.carried.length;
    expect(await tags(token.url('ns'), { http_proxy: proxy.url })).toEqual(['v1']);
    const hosts = new Set(proxy.carried.slice(before).map((c) => c.host));
    expect(hosts).toEqual(new Set([token.host, new URL(token.realm).host]));
  });

  it('the fetch handed to keyless signing (the Actions OIDC token request) goes through the proxy too', async () => {
    const before = proxy.carried.length;
    const res = await proxiedFetch({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url })(`http://${plain.host}/v2/`);
    expect(res.status).toBe(401);
    expect(proxy.carried.slice(before)).toEqual([{ kind: 'http', host: plain.host, method: 'GET', path: '/v2/' }]);
  });

  it('with NO_PROXY naming the host the proxy sees nothing', async () => {
    const before = proxy.carried.length;
    expect(await tags(plain.url('ns'), { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1,localhost' })).toEqual(['v1']);
    expect(await tags(token.url('ns'), { http_proxy: proxy.url, no_proxy: `localhost,127.0.0.1:${token.host.split(':')[1]}` })).toEqual(['v1']);
    expect(proxy.carried.slice(before)).toEqual([]);
  });
});
