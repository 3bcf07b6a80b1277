/**
 * Blobs stream from disk to the real registry: monolithic PUT up to the chunk size, chunked PATCH
 * above it (resuming from the registry's Range after a failed chunk), and cross-repo mounts that
 * send no bytes (Outline's app layers shared with base-outline), with the token scope asking pull
 * on the source repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../../test/rig/fault-proxy.js';
import { startRegistry, type TestRegistry } from '../../../test/rig/registry.js';
import { startTokenRegistry, type TokenRegistry } from '../../../test/rig/token-registry.js';
import { uploadLayout } from '../builder/upload-layout.js';
import { rangeEnd } from './blob-upload.js';
import { sha256 } from './http-backend.js';
import { createRegistryBackend } from './index.js';
import type { BlobFile, RegistryBackend } from './types.js';

let registry: TestRegistry;
let faulty: FaultProxy;
let tokens: TokenRegistry;
let dir: string;
beforeAll(async () => {
  [registry, tokens] = await Promise.all([startRegistry(), startTokenRegistry({ users: { ci: 'pw' } })]);
  faulty = await startFaultProxy(`http://${registry.host}`);
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-blobs-'));
});
afterAll(async () => { await Promise.all([registry?.stop(), tokens?.stop(), faulty?.stop()]); });

async function blobOf(size: number): Promise<BlobFile & { bytes: Buffer }> {
  const bytes = randomBytes(size);
  const digest = sha256(bytes);
  const file = path.join(dir, digest.slice(7));
  await writeFile(file, bytes);
  return { digest, size, file, bytes };
}
const backend = (url: string, chunkBytes: number, extra: { username?: string; password?: string } = {}): RegistryBackend =>
  createRegistryBackend({ url, insecure: true, ...extra }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5, chunkBytes });

describe('streamed blob uploads', () => {
  it('reads Range headers as the spec writes them', () => {
    expect(rangeEnd('0-1048575')).toBe(1048575);
    expect(rangeEnd('bytes=0-9')).toBe(9);
    expect(rangeEnd(undefined)).toBeUndefined();
    expect(rangeEnd('5-9')).toBeUndefined();
  });

  it('sends a blob up to the chunk size in one PUT, and a larger one in PATCH chunks, both intact', async () => {
    const b = backend(registry.url('ns'), 1024 * 1024);
    const small = await blobOf(700 * 1024);
    const large = await blobOf(5 * 1024 * 1024 + 123);
    expect(await b.putBlobFile('app', small)).toBe('uploaded');
    expect(b.stats().byKind).toMatchObject({ 'blob:PUT': 1, 'upload:bytes': small.size });
    expect(b.stats().byKind['blob:PATCH']).toBeUndefined();
    expect(await b.putBlobFile('app', large)).toBe('uploaded');
    // 6 chunks (5 × 1 MiB + 123 bytes), then the closing PUT
    expect(b.stats().byKind).toMatchObject({ 'blob:PATCH': 6, 'blob:PUT': 2, 'upload:bytes': small.size + large.size });
    expect(Buffer.from(await b.getBlob('app', large.digest)).equals(large.bytes)).toBe(true);
    expect(Buffer.from(await b.getBlob('app', small.digest)).equals(small.bytes)).toBe(true);
    // Present already: nothing sent
    expect(await b.putBlobFile('app', large)).toBe('present');
    await b.close();
  });

  it('resumes a chunked upload from the registry\'s Range after a chunk fails', async () => {
    const b = backend(`${faulty.host}/ns`, 1024 * 1024);
    const large = await blobOf(4 * 1024 * 1024 + 7);
    // The 2nd PATCH fails (503) before reaching the registry
    faulty.set({ kind: '503', nth: [2], match: (method) => method === 'PATCH' });
    expect(await b.putBlobFile('resume', large)).toBe('uploaded');
    expect(faulty.counts().faults).toBe(1);
    // The failure asked the registry where the upload stands, then sent the missing chunk again
    expect(b.stats().byKind).toMatchObject({ 'blob:upload-status': 1, 'blob:PATCH': 6 });
    expect(Buffer.from(await b.getBlob('resume', large.digest)).equals(large.bytes)).toBe(true);
    faulty.set(undefined);
    await b.close();
  });

  it('mounts layers another repository holds: 0 bytes sent, token scope with pull on the source', async () => {
    // Given base-outline pushed as an OCI layout (config + base layer) and the app sharing the base layer
    const base = await blobOf(2 * 1024 * 1024);
    const appLayer = await blobOf(300 * 1024);
    const layout = async (name: string, layers: BlobFile[]) => {
      const root = path.join(dir, name);
      await mkdir(path.join(root, 'blobs', 'sha256'), { recursive: true });
      const put = async (bytes: Buffer) => { const d = sha256(bytes); await writeFile(path.join(root, 'blobs', 'sha256', d.slice(7)), bytes); return d; };
      for (const l of layers) await writeFile(path.join(root, 'blobs', 'sha256', l.digest.slice(7)), await import('node:fs/promises').then((fs) => fs.readFile(l.file)));
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: { Labels: { name } } }));
      const configDigest = await put(config);
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size })) }));
      const manifestDigest = await put(manifest);
      await writeFile(path.join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length }] }));
      await writeFile(path.join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      return { root, configSize: config.length };
    };
    const baseLayout = await layout('base-outline', [base]);
    const appLayout = await layout('outline', [base, appLayer]);
    const b = backend(tokens.url('ns'), 64 * 1024 * 1024, { username: 'ci', password: 'pw' });
    await uploadLayout(baseLayout.root, b, 'base-outline');
    const sentBefore = b.stats().byKind['upload:bytes'];
    const before = tokens.tokenRequests.length;
    // When the app is uploaded with base-outline as mount source
    await uploadLayout(appLayout.root, b, 'outline', ['base-outline']);
    // Then the shared base layer was mounted: only the app's own layer and config were sent
    const sent = b.stats().byKind['upload:bytes'] - sentBefore;
    expect(sent).toBe(appLayer.size + appLayout.configSize);
    expect(b.stats().byKind['blob:mount']).toBe(1);
    expect(tokens.mountRequests).toEqual([{ from: 'ns/base-outline', allowed: true }]);
    expect(tokens.tokenRequests.slice(before).map((r) => r.scopes)).toContainEqual(['repository:ns/outline:pull,push', 'repository:ns/base-outline:pull']);
    console.log(`cross-repo mount: ${sent} bytes sent for outline (base layer ${base.size} bytes mounted from base-outline, 0 bytes of it sent)`);
    await b.close();
  });
});
