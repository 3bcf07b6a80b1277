/**
 * Credentials found where docker, crane, skopeo, buildah and podman find them (SPEC §6b), tried
 * against a real htpasswd registry and a token-auth registry, with real `docker-credential-*`
 * helper programs on PATH.
 */
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushTestImage } from '../../../test/rig/oci.js';
import { startRegistry, type TestRegistry } from '../../../test/rig/registry.js';
import { startTokenRegistry, type TokenRegistry } from '../../../test/rig/token-registry.js';
import { resolveCredentials } from './credentials.js';
import { UnauthorizedError } from './errors.js';
import { createRegistryBackend } from './index.js';

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
const tmp = (prefix: string) => mkdtemp(path.join(tmpdir(), prefix));

/** A `docker-credential-NAME` that answers `answers[key]` for the key read on stdin, else fails as helpers do. */
async function helperOnPath(name: string, answers: Record<string, { Username: string; Secret: string }>): Promise<string> {
  const dir = await tmp('mirror-helper-');
  const cases = Object.entries(answers).map(([key, a]) => `  ${JSON.stringify(key)}) echo '${JSON.stringify({ ServerURL: key, ...a })}' ;;`).join('\n');
  // Logs every key it is asked for, so tests can see what mirror asked.
  await writeFile(path.join(dir, `docker-credential-${name}`), `#!/bin/sh\nread key\necho "$key" >> "${dir}/asked"\ncase "$key" in\n${cases}\n  *) echo "credentials not found in native keychain" ; exit 1 ;;\nesac\n`);
  await chmod(path.join(dir, `docker-credential-${name}`), 0o755);
  return dir;
}

let htpasswd: TestRegistry;
let tokenReg: TokenRegistry;
beforeAll(async () => {
  [htpasswd, tokenReg] = await Promise.all([
    startRegistry({ auth: { username: 'ci', password: 'right-password' } }),
    startTokenRegistry({ users: { pusher: 'push-pw' }, refreshTokens: { 'refresh-Qx81': 'pusher' } }),
  ]);
  const seed = createRegistryBackend({ url: htpasswd.url('ns'), insecure: true, username: 'ci', password: 'right-password' }, { env: { HOME: '/nonexistent' } });
  await pushTestImage(seed, 'secured', { architecture: 'amd64', tag: 'v1' });
  await seed.close();
  const seedToken = createRegistryBackend({ url: tokenReg.url('ns'), insecure: true, username: 'pusher', password: 'push-pw' }, { env: { HOME: '/nonexistent' } });
  await pushTestImage(seedToken, 'app', { architecture: 'amd64', tag: 'v1' });
  await seedToken.close();
}, 60_000);
afterAll(async () => { await Promise.all([htpasswd?.stop(), tokenReg?.stop()]); });

const listWith = async (url: string, env: NodeJS.ProcessEnv, image: string) => {
  const b = createRegistryBackend({ url, insecure: true }, { env, retryBaseMs: 5 });
  try { return await b.listTags(image); } finally { await b.close(); }
};

describe('credential files, in the order of SPEC §6b', () => {
  it('reads REGISTRY_AUTH_FILE (buildah/podman login) before the docker config, and uses it against the htpasswd registry', async () => {
    // Given a containers auth file with the right password and a docker config with a wrong one
    const dir = await tmp('mirror-authfile-');
    await writeFile(path.join(dir, 'auth.json'), JSON.stringify({ auths: { [htpasswd.host]: { auth: basic('ci', 'right-password') } } }));
    await mkdir(path.join(dir, 'docker'));
    await writeFile(path.join(dir, 'docker', 'config.json'), JSON.stringify({ auths: { [htpasswd.host]: { auth: basic('ci', 'wrong') } } }));
    const env = { HOME: '/nonexistent', REGISTRY_AUTH_FILE: path.join(dir, 'auth.json'), DOCKER_CONFIG: path.join(dir, 'docker') };
    // Then the auth file wins and the registry accepts it
    expect((await resolveCredentials(htpasswd.host, {}, env)).source).toBe(`REGISTRY_AUTH_FILE ${dir}/auth.json (auths "${htpasswd.host}")`);
    expect(await listWith(htpasswd.url('ns'), env, 'secured')).toEqual(['v1']);
  });

  it('reads $XDG_RUNTIME_DIR/containers/auth.json, then ~/.config/containers/auth.json, with namespace-scoped keys most specific first', async () => {
    const run = await tmp('mirror-xdg-');
    const home = await tmp('mirror-home-');
    await mkdir(path.join(run, 'containers'));
    await mkdir(path.join(home, '.config', 'containers'), { recursive: true });
    await writeFile(path.join(run, 'containers', 'auth.json'), JSON.stringify({ auths: { 'other.example': { auth: basic('x', 'y') } } }));
    await writeFile(path.join(home, '.config', 'containers', 'auth.json'), JSON.stringify({ auths: {
      [htpasswd.host]: { auth: basic('ci', 'wrong') }, [`${htpasswd.host}/ns`]: { auth: basic('ci', 'right-password') },
    } }));
    const env = { HOME: home, XDG_RUNTIME_DIR: run };
    const creds = await resolveCredentials(htpasswd.host, {}, env, 'ns');
    expect(creds).toMatchObject({ username: 'ci', source: `containers auth.json ${home}/.config/containers/auth.json (auths "${htpasswd.host}/ns")` });
    expect(creds.searched).toContain(`$XDG_RUNTIME_DIR/containers/auth.json ${run}/containers/auth.json: no entry for ${htpasswd.host}`);
    expect(await listWith(htpasswd.url('ns'), env, 'secured')).toEqual(['v1']);
  });

  it('asks credsStore and credHelpers for Docker Hub under https://index.docker.io/v1/, the key docker login stores', async () => {
    const helper = await helperOnPath('hubstore', { 'https://index.docker.io/v1/': { Username: 'hubuser', Secret: 'hub-secret' } });
    const cfg = await tmp('mirror-docker-');
    await writeFile(path.join(cfg, 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': {} }, credsStore: 'hubstore' }));
    const env = { HOME: '/nonexistent', DOCKER_CONFIG: cfg, PATH: `${helper}:${process.env.PATH}` };
    for (const host of ['registry-1.docker.io', 'docker.io', 'index.docker.io']) {
      expect(await resolveCredentials(host, {}, env)).toMatchObject({ username: 'hubuser', password: 'hub-secret', source: `docker-credential-hubstore (credsStore in $DOCKER_CONFIG/config.json ${cfg}/config.json)` });
    }
    await writeFile(path.join(cfg, 'config.json'), JSON.stringify({ credHelpers: { 'docker.io': 'hubstore' } }));
    expect(await resolveCredentials('registry-1.docker.io', {}, env)).toMatchObject({ username: 'hubuser', source: expect.stringMatching(/^docker-credential-hubstore \(credHelpers/) });
  });

  it('uses a credential helper on PATH against the htpasswd registry', async () => {
    const helper = await helperOnPath('rigstore', { [htpasswd.host]: { Username: 'ci', Secret: 'right-password' } });
    const cfg = await tmp('mirror-docker-');
    await writeFile(path.join(cfg, 'config.json'), JSON.stringify({ credHelpers: { [htpasswd.host]: 'rigstore' } }));
    expect(await listWith(htpasswd.url('ns'), { HOME: '/nonexistent', DOCKER_CONFIG: cfg, PATH: `${helper}:${process.env.PATH}` }, 'secured')).toEqual(['v1']);
  });

  it('an auth error lists every place it looked', async () => {
    const cfg = await tmp('mirror-docker-');
    await writeFile(path.join(cfg, 'config.json'), JSON.stringify({ credsStore: 'absent-helper-xyz', auths: { 'other.example': { auth: basic('a', 'b') } } }));
    const run = await tmp('mirror-xdg-');
    const env = { HOME: '/nonexistent', DOCKER_CONFIG: cfg, XDG_RUNTIME_DIR: run, REGISTRY_AUTH_FILE: '/nonexistent/auth.json' };
    const error = await listWith(htpasswd.url('ns'), env, 'secured').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toBe(`Registry ${htpasswd.host} requires credentials for ${htpasswd.host}/ns/secured and none were found (looked in: `
      + 'config registry.username/password: not set; REGISTRY_AUTH_FILE /nonexistent/auth.json: no such file; '
      + `$XDG_RUNTIME_DIR/containers/auth.json ${run}/containers/auth.json: no such file; containers auth.json /nonexistent/.config/containers/auth.json: no such file; `
      + `docker-credential-absent-helper-xyz from credsStore in $DOCKER_CONFIG/config.json ${cfg}/config.json: not installed; `
      + `$DOCKER_CONFIG/config.json ${cfg}/config.json: no entry for ${htpasswd.host}).`);
  });
});

describe('bearer tokens', () => {
  it('requests of one scope that wait for a token together share one fetch of it', async () => {
    // Given a client that has not met the registry yet, and 16 HEADs of one repository at once (all answered 401 first)
    const b = createRegistryBackend({ url: tokenReg.url('ns'), insecure: true, username: 'pusher', password: 'push-pw' }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5 });
    const before = tokenReg.tokenRequests.length;
    try {
      const found = await Promise.all(Array.from({ length: 16 }, () => b.headManifest('app', 'v1')));
      for (const f of found) expect(f?.digest).toMatch(/^sha256:/);
    } finally {
      await b.close();
    }
    // Then the token service was asked once for that scope
    expect(tokenReg.tokenRequests.slice(before).map((r) => r.scopes.join(' '))).toEqual(['repository:ns/app:pull']);
  });

  it('a token service that answers 503 twice is asked again, and the 8 requests waiting on it succeed', async () => {
    const b = createRegistryBackend({ url: tokenReg.url('ns'), insecure: true, username: 'pusher', password: 'push-pw' }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5 });
    try {
      tokenReg.failTokenRequests(2);
      const before = tokenReg.tokenRequests.length;
      const found = await Promise.all(Array.from({ length: 8 }, () => b.headManifest('app', 'v1')));
      for (const f of found) expect(f?.digest).toMatch(/^sha256:/);
      // One token granted for all of them (the two 503s are not recorded as token requests)
      expect(tokenReg.tokenRequests.length - before).toBe(1);
      expect(b.stats().byKind.token).toBe(3);
    } finally {
      tokenReg.failTokenRequests(0);
      await b.close();
    }
  });

  it('a token the registry refuses (expired) is fetched again, once, and the requests succeed', async () => {
    const b = createRegistryBackend({ url: tokenReg.url('ns'), insecure: true, username: 'pusher', password: 'push-pw' }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5 });
    try {
      // Given a client holding a token for ns/app
      expect((await b.headManifest('app', 'v1'))?.digest).toMatch(/^sha256:/);
      const before = tokenReg.tokenRequests.length;
      // When that token expires and 8 HEADs go out with it
      tokenReg.expireTokens();
      const found = await Promise.all(Array.from({ length: 8 }, () => b.headManifest('app', 'v1')));
      // Then each succeeds with one new token
      for (const f of found) expect(f?.digest).toMatch(/^sha256:/);
      expect(tokenReg.tokenRequests.length - before).toBe(1);
    } finally {
      await b.close();
    }
  });
});

describe('identity tokens at a token realm on another host', () => {
  it('exchanges an auths identitytoken with grant_type=refresh_token for the repository scope, never as a password', async () => {
    // Given an auth file holding only an identity (refresh) token, as `docker login` writes for ACR
    const dir = await tmp('mirror-idtoken-');
    await writeFile(path.join(dir, 'auth.json'), JSON.stringify({ auths: { [tokenReg.host]: { identitytoken: 'refresh-Qx81' } } }));
    const before = tokenReg.tokenRequests.length;
    // When mirror lists tags
    expect(await listWith(tokenReg.url('ns'), { HOME: '/nonexistent', REGISTRY_AUTH_FILE: path.join(dir, 'auth.json') }, 'app')).toEqual(['v1']);
    // Then the realm (localhost, not the registry's 127.0.0.1) got the OAuth2 refresh grant with the pull scope
    expect(tokenReg.tokenRequests.slice(before)).toEqual([{ method: 'POST', grant: 'refresh_token', scopes: ['repository:ns/app:pull'], service: 'rig-registry', granted: true }]);
  });

  it('a helper answering Username <token> gives an identity token; a wrong one is reported as rejected', async () => {
    const helper = await helperOnPath('idstore', { [tokenReg.host]: { Username: '<token>', Secret: 'refresh-Qx81' } });
    const cfg = await tmp('mirror-docker-');
    await writeFile(path.join(cfg, 'config.json'), JSON.stringify({ credHelpers: { [tokenReg.host]: 'idstore' } }));
    const env = { HOME: '/nonexistent', DOCKER_CONFIG: cfg, PATH: `${helper}:${process.env.PATH}` };
    expect(await listWith(tokenReg.url('ns'), env, 'app')).toEqual(['v1']);
    const bad = await tmp('mirror-idtoken-');
    await writeFile(path.join(bad, 'auth.json'), JSON.stringify({ auths: { [tokenReg.host]: { identitytoken: 'revoked' } } }));
    const error = await listWith(tokenReg.url('ns'), { HOME: '/nonexistent', REGISTRY_AUTH_FILE: path.join(bad, 'auth.json') }, 'app').catch((e: unknown) => e);
    expect((error as Error).message).toBe(`Registry ${tokenReg.host} rejected the credentials from REGISTRY_AUTH_FILE ${bad}/auth.json (auths "${tokenReg.host}") (identity token) for ${tokenReg.host}/ns/app.`);
    expect(JSON.stringify(error)).not.toContain('revoked');
  });
});
