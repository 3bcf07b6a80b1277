/**
 * ghcr.io's ways, against the rig's GHCR-like registry (a real Distribution behind bearer tokens
 * from a realm on another host, 405 UNSUPPORTED on DELETE, the GitHub Packages REST API): deletes
 * go through the Packages API for user and organization owners, anonymous callers get pull-only
 * tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushTestImage, pushTestIndex } from '../../../test/rig/oci.js';
import { startTokenRegistry, type TokenRegistry } from '../../../test/rig/token-registry.js';
import { DeniedError, NotFoundError, UnauthorizedError } from './errors.js';
import { createRegistryBackend } from './index.js';

const TOKEN = 'ghp_rigtoken0123456789';
let userReg: TokenRegistry;
let orgReg: TokenRegistry;
beforeAll(async () => {
  [userReg, orgReg] = await Promise.all([
    startTokenRegistry({ users: { tobi: 'pw' }, anonymousPull: true, ghcr: { owner: 'tobi', ownerType: 'User', token: TOKEN } }),
    startTokenRegistry({ users: { bot: 'pw' }, ghcr: { owner: 'acme', ownerType: 'Organization', token: TOKEN } }),
  ]);
});
afterAll(async () => { await Promise.all([userReg?.stop(), orgReg?.stop()]); });

const backend = (reg: TokenRegistry, namespace: string, extra: { username?: string; password?: string; env?: NodeJS.ProcessEnv } = {}) =>
  createRegistryBackend({ url: reg.url(namespace), insecure: true, username: extra.username, password: extra.password },
    { env: { HOME: '/nonexistent', GITHUB_API_URL: reg.apiUrl, GITHUB_TOKEN: TOKEN, MIRROR_GITHUB_PACKAGES_HOSTS: `other.example, ${reg.host}`, ...extra.env }, retryBaseMs: 5 });

describe('GHCR-like registry', () => {
  it.each([['user', () => userReg, 'tobi', 'tobi'], ['organization', () => orgReg, 'acme', 'bot']] as const)(
    'prune deletes through the GitHub Packages API for a %s owner', async (_, reg, owner, user) => {
      // Given an index with two platform manifests pushed to OWNER/mirror/app
      const b = backend(reg(), `${owner}/mirror`, { username: user, password: 'pw' });
      const amd = await pushTestImage(b, 'app', { architecture: 'amd64' });
      const arm = await pushTestImage(b, 'app', { architecture: 'arm64' });
      const index = await pushTestIndex(b, 'app', '1.0.0', [amd, arm]);
      const before = reg().apiRequests.length;
      // When the index and the oldest platform manifest are deleted
      await b.deleteManifest('app', index.digest);
      await b.deleteManifest('app', amd.digest);
      // Then they are gone from the registry, the other manifest stays
      expect(await b.headManifest('app', index.digest)).toBeUndefined();
      expect(await b.headManifest('app', amd.digest)).toBeUndefined();
      expect(await b.headManifest('app', arm.digest)).toMatchObject({ digest: arm.digest });
      expect(await b.listTags('app')).toEqual([]);
      // And the deletes went through the Packages API: owner, versions (paged) and DELETE by id, never the registry API
      const kind = owner === 'acme' ? 'orgs' : 'users';
      const api = reg().apiRequests.slice(before);
      expect(api[0]).toEqual({ method: 'GET', path: `/users/${owner}`, status: 200 });
      expect(api.filter((r) => r.method === 'DELETE')).toEqual([
        { method: 'DELETE', path: `/${kind}/${owner}/packages/container/mirror%2Fapp/versions/${Number.parseInt(index.digest.slice(7, 15), 16)}`, status: 204 },
        { method: 'DELETE', path: `/${kind}/${owner}/packages/container/mirror%2Fapp/versions/${Number.parseInt(amd.digest.slice(7, 15), 16)}`, status: 204 },
      ]);
      // The oldest version is on the second page (newest first): found by following Link
      expect(api.some((r) => r.path.endsWith('page=2'))).toBe(true);
      expect(b.stats().byKind).toMatchObject({ 'packages:DELETE': 2 });
      expect(b.stats().byKind['manifest:DELETE']).toBeUndefined();
      // A digest already gone is NotFound, as the registry API would say
      await expect(b.deleteManifest('app', amd.digest)).rejects.toBeInstanceOf(NotFoundError);
      await b.close();
    });

  it('a prune of several versions lists the package\'s versions once, then deletes each by id', async () => {
    // Given four single-platform images in tobi/listing/app (the rig's API pages one version at a time, newest first)
    const b = backend(userReg, 'tobi/listing', { username: 'tobi', password: 'pw' });
    const images = [];
    for (const arch of ['amd64', 'arm64', 's390x', 'ppc64le']) images.push(await pushTestImage(b, 'app', { architecture: arch, content: `listing ${arch}` }));
    const before = userReg.apiRequests.length;
    // When the three oldest are deleted, one after the other
    for (const image of images.slice(0, 3)) await b.deleteManifest('app', image.digest);
    // Then the four pages were read once (not once per delete), and three DELETEs by id went out
    const api = userReg.apiRequests.slice(before);
    const pages = api.filter((r) => r.method === 'GET' && r.path.includes('/versions'));
    expect(pages).toHaveLength(4);
    expect(api.filter((r) => r.method === 'DELETE' && r.status === 204)).toHaveLength(3);
    expect(await b.headManifest('app', images[3].digest)).toMatchObject({ digest: images[3].digest });
    for (const image of images.slice(0, 3)) expect(await b.headManifest('app', image.digest)).toBeUndefined();
    await b.close();
  });

  it('a registry that is not named as a GitHub registry keeps its 405: mirror never asks GitHub about another registry\'s digests', async () => {
    const b = backend(userReg, 'tobi/mirror', { username: 'tobi', password: 'pw', env: { MIRROR_GITHUB_PACKAGES_HOSTS: '' } });
    const img = await pushTestImage(b, 'kept', { architecture: 'amd64' });
    const before = userReg.apiRequests.length;
    const error = await b.deleteManifest('kept', img.digest).catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(405);
    expect((error as Error).message).toMatch(/answered HTTP 405 to DELETE .*\(UNSUPPORTED\)/);
    expect(userReg.apiRequests.length).toBe(before);
    expect(await b.headManifest('kept', img.digest)).toMatchObject({ digest: img.digest });
    await b.close();
  });

  it('without GITHUB_TOKEN the delete fails saying what to set', async () => {
    const b = backend(userReg, 'tobi/mirror', { username: 'tobi', password: 'pw', env: { GITHUB_TOKEN: '' } });
    const img = await pushTestImage(b, 'other', { architecture: 'amd64' });
    const error = await b.deleteManifest('other', img.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeniedError);
    expect((error as Error).message).toMatch(/The GitHub API refused to list package versions for .*other@sha256:[0-9a-f]{64} \(401\)\./);
    expect((error as DeniedError).nextSteps).toMatch(/Set GITHUB_TOKEN/);
    await b.close();
  });

  it('anonymous callers get a pull-only token from the realm on another host; a push is refused', async () => {
    const pusher = backend(userReg, 'tobi/public', { username: 'tobi', password: 'pw' });
    await pushTestImage(pusher, 'app', { architecture: 'amd64', tag: 'v1' });
    await pusher.close();
    const before = userReg.tokenRequests.length;
    const anon = backend(userReg, 'tobi/public');
    expect(await anon.listTags('app')).toEqual(['v1']);
    expect(userReg.tokenRequests.slice(before)).toEqual([{ method: 'GET', grant: 'anonymous', scopes: ['repository:tobi/public/app:pull'], service: 'rig-registry', granted: true }]);
    await expect(pushTestImage(anon, 'app', { architecture: 'arm64', tag: 'v2' })).rejects.toBeInstanceOf(UnauthorizedError);
    await anon.close();
  });
});
