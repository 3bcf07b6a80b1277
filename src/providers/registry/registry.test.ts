import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/rig/registry.js';
import { pushTestImage, pushTestIndex } from '../../../test/rig/oci.js';
import { DigestMismatchError, RegistryUnavailableError, UnauthorizedError } from './errors.js';
import { sha256 } from './http-backend.js';
import { createRegistryBackend } from './index.js';
import { retryAfterMs } from '../../system/http-common.js';
import { parseChallenge } from './http.js';
import { parseImageReference, parseRegistryUrl } from '../../oci/reference.js';
import { MediaType } from './types.js';

let registry: TestRegistry;
let authRegistry: TestRegistry;
beforeAll(async () => {
  [registry, authRegistry] = await Promise.all([startRegistry(), startRegistry({ auth: { username: 'ci', password: 'right-password' } })]);
});
afterAll(async () => { await Promise.all([registry?.stop(), authRegistry?.stop()]); });

const backendFor = (url: string, extra: { username?: string; password?: string; env?: NodeJS.ProcessEnv } = {}) =>
  createRegistryBackend({ url, insecure: true, username: extra.username, password: extra.password }, { env: extra.env ?? { HOME: '/nonexistent' }, retryBaseMs: 5 });

/** A tiny HTTP server that answers with a scripted list of responses. */
async function scripted(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, n: number) => void): Promise<{ host: string; server: Server; count: () => number }> {
  let n = 0;
  const server = createServer((req, res) => { n += 1; handler(req, res, n); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, count: () => n };
}

describe('references', () => {
  it('parses registry urls and image references', () => {
    expect(parseRegistryUrl('ghcr.io/this-is-tobi/mirror')).toEqual({ kind: 'http', host: 'ghcr.io', namespace: 'this-is-tobi/mirror' });
    expect(parseRegistryUrl('oci:./.mirror/oci')).toEqual({ kind: 'oci', dir: './.mirror/oci' });
    expect(parseImageReference('busybox')).toEqual({ host: 'registry-1.docker.io', repository: 'library/busybox' });
    expect(parseImageReference(`localhost:5000/ns/app:1.0@sha256:${'a'.repeat(64)}`)).toEqual({ host: 'localhost:5000', repository: 'ns/app', tag: '1.0', digest: `sha256:${'a'.repeat(64)}` });
    expect(() => parseRegistryUrl('ghcr.io/Bad Namespace')).toThrow(/not host\[:port\]\/namespace/);
  });

  it('parses auth challenges and Retry-After', () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"')).toEqual({
      scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull' } });
    expect(retryAfterMs('2', 9)).toBe(2000);
    expect(retryAfterMs(undefined, 9)).toBe(9);
  });
});

describe('HTTP backend against the real registry', () => {
  it('pushes platform images by digest without creating a tag, then an index under a tag, and reads them back', async () => {
    // Given two platform images pushed by digest
    const b = backendFor(registry.url('ns1'));
    const amd = await pushTestImage(b, 'app', { architecture: 'amd64' });
    const arm = await pushTestImage(b, 'app', { architecture: 'arm64' });
    // Then no tag exists yet
    expect(await b.listTags('app')).toEqual([]);
    // When an index is pushed under 1.0.0
    const index = await pushTestIndex(b, 'app', '1.0.0', [amd, arm]);
    // Then the tag lists, HEAD and GET agree on the digest, and skopeo (from outside) sees both platforms
    expect(await b.listTags('app')).toEqual(['1.0.0']);
    expect((await b.headManifest('app', '1.0.0'))?.digest).toBe(index.digest);
    const got = await b.getManifest('app', index.digest);
    expect(JSON.parse(Buffer.from(got.bytes).toString()).manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    const raw = await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/ns1/app:1.0.0`]);
    expect(sha256(Buffer.from(raw.stdout))).toBe(index.digest);
    expect(await b.headManifest('app', '9.9.9')).toBeUndefined();
    expect(await b.listTags('never-pushed')).toEqual([]);
    await b.close();
  });

  it('skips blobs that are present, mounts across repositories, and deletes by digest', async () => {
    const b = backendFor(registry.url('ns2'));
    const first = await pushTestImage(b, 'one', { architecture: 'amd64', content: 'shared' });
    const before = b.stats().byKind['blob:PUT'] ?? 0;
    await pushTestImage(b, 'one', { architecture: 'amd64', content: 'shared', tag: 'again' });
    expect(b.stats().byKind['blob:PUT'] ?? 0).toBe(before);
    const layer = JSON.parse(Buffer.from((await b.getManifest('one', first.digest)).bytes).toString()).layers[0].digest;
    await b.putBlob('two', layer, await b.getBlob('one', layer), 'one');
    expect(await b.hasBlob('two', layer)).toBe(true);
    await b.deleteManifest('one', first.digest);
    expect(await b.headManifest('one', first.digest)).toBeUndefined();
    await b.close();
  });

  it('authenticates with Basic credentials from the config, and says clearly when they are wrong', async () => {
    const good = backendFor(authRegistry.url('ns'), { username: 'ci', password: 'right-password' });
    await pushTestImage(good, 'secured', { architecture: 'amd64', tag: 'v1' });
    expect(await good.listTags('secured')).toEqual(['v1']);
    const bad = backendFor(authRegistry.url('ns'), { username: 'ci', password: 'wrong-password' });
    const error = await bad.listTags('secured').catch((e) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error.message).toBe(`Registry ${authRegistry.host} rejected the credentials from config (user "ci") for ${authRegistry.host}/ns/secured.`);
    expect(JSON.stringify(error)).not.toContain('wrong-password');
    const anon = backendFor(authRegistry.url('ns'));
    await expect(anon.listTags('secured')).rejects.toThrow(/requires credentials .* and none were found/);
  });

  it('reads credentials from the docker config and from a credential helper', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-docker-'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { [authRegistry.host]: { auth: Buffer.from('ci:right-password').toString('base64') } } }));
    const viaAuths = backendFor(authRegistry.url('ns'), { env: { DOCKER_CONFIG: dir } });
    expect(await viaAuths.listTags('secured')).toEqual(['v1']);
    const helperDir = await mkdtemp(path.join(tmpdir(), 'mirror-helper-'));
    const helper = path.join(helperDir, 'docker-credential-mirrortest');
    await writeFile(helper, '#!/bin/sh\nread host\necho "{\\"ServerURL\\":\\"$host\\",\\"Username\\":\\"ci\\",\\"Secret\\":\\"right-password\\"}"\n');
    await chmod(helper, 0o755);
    const cfgDir = await mkdtemp(path.join(tmpdir(), 'mirror-docker-'));
    await writeFile(path.join(cfgDir, 'config.json'), JSON.stringify({ credHelpers: { [authRegistry.host]: 'mirrortest' } }));
    const oldPath = process.env.PATH;
    process.env.PATH = `${helperDir}:${oldPath}`;
    try {
      const viaHelper = backendFor(authRegistry.url('ns'), { env: { DOCKER_CONFIG: cfgDir } });
      expect(await viaHelper.listTags('secured')).toEqual(['v1']);
    } finally { process.env.PATH = oldPath; }
  });

  it('says a registry that is down is not reachable', async () => {
    const b = backendFor('127.0.0.1:9/ns');
    const error = await b.listTags('x').catch((e) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(error.message).toBe('Registry 127.0.0.1:9 is not reachable: ECONNREFUSED.');
  });
});

describe('HTTP backend against scripted servers', () => {
  it('retries 503 and 429 with Retry-After, then succeeds', async () => {
    const s = await scripted((_req, res, n) => {
      if (n === 1) { res.writeHead(503); res.end(); return; }
      if (n === 2) { res.writeHead(429, { 'retry-after': '0' }); res.end(); return; }
      res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"name":"ns/a","tags":["1.0.0"]}');
    });
    const b = backendFor(`${s.host}/ns`);
    expect(await b.listTags('a')).toEqual(['1.0.0']);
    expect(s.count()).toBe(3);
    s.server.close();
  });

  it('rejects a manifest whose Docker-Content-Digest does not match the body', async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
    const s = await scripted((_req, res) => {
      res.writeHead(200, { 'content-type': MediaType.OciIndex, 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
      res.end(body);
    });
    const b = backendFor(`${s.host}/ns`);
    await expect(b.getManifest('a', '1.0.0')).rejects.toBeInstanceOf(DigestMismatchError);
    s.server.close();
  });

  it('retries a content-addressed read whose body is cut or mangled, and refuses one that stays wrong', async () => {
    const blob = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
    const s = await scripted((req, res, n) => {
      const cut = n % 2 === 1 || req.url!.includes('broken'); // every first try is cut in half
      if (req.url!.includes('/blobs/')) { res.writeHead(200); res.end(cut ? blob.subarray(0, 10) : blob); return; }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha256(manifest) });
      res.end(cut ? manifest.subarray(0, 20) : manifest);
    });
    const b = backendFor(`${s.host}/ns`);
    expect(Buffer.from(await b.getBlob('a', sha256(blob))).equals(blob)).toBe(true);
    expect((await b.getManifest('a', '1.0.0')).descriptor.digest).toBe(sha256(manifest)); // by tag: the claimed digest decides
    expect(b.stats().byKind).toMatchObject({ 'blob:GET': 2, 'blob:GET:corrupt': 1, 'manifest:GET': 2, 'manifest:GET:corrupt': 1 });
    await expect(b.getManifest('broken', '1.0.0')).rejects.toBeInstanceOf(DigestMismatchError);
    s.server.close();
  });

  it('follows a blob redirect to another host (a CDN) without sending credentials there, and checks the digest', async () => {
    const blob = Buffer.from('{"architecture":"arm64"}');
    const cdnAuth: (string | undefined)[] = [];
    const cdn = await scripted((req, res) => {
      cdnAuth.push(req.headers.authorization);
      res.writeHead(200); res.end(req.url?.includes('bad') ? 'tampered' : blob);
    });
    const s = await scripted((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) { res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }); res.end(); return; }
      res.writeHead(307, { location: `http://${cdn.host}/signed/${req.url?.includes('0000') ? 'bad' : 'ok'}?sig=1` }); res.end();
    });
    const b = backendFor(`${s.host}/ns`, { username: 'u', password: 'p' });
    expect(Buffer.from(await b.getBlob('a', sha256(blob))).toString()).toBe(blob.toString());
    await expect(b.getBlob('a', `sha256:${'0'.repeat(64)}`)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(cdnAuth).toEqual([undefined, undefined]);
    s.server.close(); cdn.server.close();
  });

  it('follows a Bearer challenge: fetches a token for the repository scope with the credentials, then retries', async () => {
    const seen: string[] = [];
    const s = await scripted((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        seen.push(`token ${url.searchParams.get('scope')} ${req.headers.authorization ?? ''}`);
        res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"token":"t0k"}'); return;
      }
      if (req.headers.authorization !== 'Bearer t0k') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="test",scope="repository:ns/a:pull"` }); res.end(); return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"tags":["2.0.0"]}');
    });
    const b = backendFor(`${s.host}/ns`, { username: 'u', password: 'p' });
    expect(await b.listTags('a')).toEqual(['2.0.0']);
    expect(seen).toEqual([`token repository:ns/a:pull Basic ${Buffer.from('u:p').toString('base64')}`]);
    s.server.close();
  });
});

describe('OCI layout backend', () => {
  it('writes a layout skopeo reads, with tags as ref.name annotations', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-oci-'));
    const b = createRegistryBackend({ url: `oci:${dir}` });
    const amd = await pushTestImage(b, 'app', { architecture: 'amd64' });
    const arm = await pushTestImage(b, 'app', { architecture: 'arm64' });
    const index = await pushTestIndex(b, 'app', '1.0.0', [amd, arm]);
    expect(await b.listTags('app')).toEqual(['1.0.0']);
    expect((await b.headManifest('app', '1.0.0'))?.digest).toBe(index.digest);
    const raw = await execa('skopeo', ['inspect', '--raw', `oci:${path.join(dir, 'app')}:1.0.0`]);
    expect(sha256(Buffer.from(raw.stdout))).toBe(index.digest);
    const cfg = await execa('skopeo', ['inspect', '--config', '--override-arch', 'arm64', `oci:${path.join(dir, 'app')}:1.0.0`]);
    expect(JSON.parse(cfg.stdout).architecture).toBe('arm64');
  });
});
