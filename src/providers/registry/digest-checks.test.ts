/**
 * The HTTP backend's own refusals, before and after the wire (issue 20's mutation run found them
 * unasserted): content that is not the digest it is PUT under never leaves, a HEAD without a
 * usable digest falls back to a verified GET, and a reference that is neither tag nor digest is
 * refused naming it (cut at 80 characters) and the repository.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startScripted, type ScriptedServer } from '../../../test/hostile/harness.js';
import { DigestMismatchError, NotFoundError, RegistryError } from './errors.js';
import { HttpRegistryBackend } from './http-backend.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
const MEDIA = 'application/vnd.oci.image.manifest.v1+json';

let server: ScriptedServer | undefined;
let backend: HttpRegistryBackend | undefined;
afterEach(async () => { await backend?.close(); await server?.stop(); server = undefined; backend = undefined; });

/** A backend against a registry answering with `answer`. */
async function against(answer: Parameters<typeof startScripted>[0]): Promise<{ b: HttpRegistryBackend; seen: ScriptedServer['seen']; host: string }> {
  server = await startScripted(answer);
  backend = new HttpRegistryBackend({ url: `${server.host}/ns`, host: server.host, namespace: 'ns', insecure: true, retries: 0 });
  return { b: backend, seen: server.seen, host: server.host };
}
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

describe('content is checked against its digest before it is sent', () => {
  it('a manifest PUT under a digest it does not hash to is refused without a request', async () => {
    const { b, seen } = await against((_q, res) => { res.writeHead(201); res.end(); });
    const other = sha('other');
    const error = await errorOf(b.putManifest('app', other, new Uint8Array(MANIFEST), MEDIA));
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(error?.message).toBe(`refusing to PUT content ${sha(MANIFEST)} under digest ${other}.`);
    expect(seen).toEqual([]);
    // and the same bytes under their own digest go through
    await expect(b.putManifest('app', sha(MANIFEST), new Uint8Array(MANIFEST), MEDIA)).resolves.toMatchObject({ digest: sha(MANIFEST) });
  });

  it('a blob that is not the digest it is uploaded as is refused without a request', async () => {
    const { b, seen } = await against((_q, res) => { res.writeHead(200); res.end(); });
    const error = await errorOf(b.putBlob('app', sha('claimed'), new Uint8Array(Buffer.from('actual'))));
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(error?.message).toBe(`refusing to upload content that is not ${sha('claimed')}.`);
    expect(seen).toEqual([]);
  });
});

describe('HEAD manifest without a usable digest', () => {
  for (const [name, header] of [['no Docker-Content-Digest', undefined], ['one that is not a digest', 'garbage']] as const) {
    it(`falls back to a GET whose body gives the digest (${name})`, async () => {
      const { b, seen } = await against((req, res) => {
        const head = req.method === 'HEAD';
        res.writeHead(200, { 'content-type': MEDIA, ...(header && head ? { 'docker-content-digest': header } : {}), 'content-length': String(MANIFEST.length) });
        res.end(head ? undefined : MANIFEST);
      });
      expect(await b.headManifest('app', '1.0.0')).toEqual({ mediaType: MEDIA, digest: sha(MANIFEST), size: MANIFEST.length });
      expect(seen.map((s) => s.method)).toEqual(['HEAD', 'GET']);
    });
  }
});

describe('references', () => {
  it('a tag is addressed as repository:tag in errors', async () => {
    const { b, host } = await against((_q, res) => { res.writeHead(404); res.end(); });
    const error = await errorOf(b.getManifest('app', 'nope'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error?.message).toBe(`${host}/ns/app:nope does not exist in the registry.`);
  });

  it('one that is neither tag nor digest is refused naming it and the repository; over 80 characters it is cut', async () => {
    const { b, seen, host } = await against((_q, res) => { res.writeHead(200); res.end(); });
    const at80 = `../${'a'.repeat(77)}`;
    const e80 = await errorOf(b.getManifest('app', at80));
    expect(e80).toBeInstanceOf(RegistryError);
    expect(e80).toMatchObject({ reference: `${host}/ns/app`, message: `${JSON.stringify(at80)} is not a valid tag or digest for ${host}/ns/app; refusing to send it to the registry.` });
    const e81 = await errorOf(b.getManifest('app', `${at80}b`));
    expect(e81?.message).toBe(`${JSON.stringify(`${at80}…`)} is not a valid tag or digest for ${host}/ns/app; refusing to send it to the registry.`);
    expect(seen).toEqual([]);
  });
});
