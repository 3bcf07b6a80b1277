/**
 * RegistryBackend for `oci:<dir>`: each image is an OCI image layout at `<dir>/<image>` (what
 * `skopeo copy --all oci:<dir>/<image>:<tag> docker://…` reads), tags being
 * `org.opencontainers.image.ref.name` annotations in index.json. For users without a registry
 * server; index.json is replaced atomically so a killed run leaves the previous one.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DigestMismatchError, NotFoundError, RegistryError } from './errors.js';
import { sha256 } from './http-backend.js';
import { isDigest } from '../../oci/reference.js';
import { MediaType, type BlobFile, type BlobPutOutcome, type Descriptor, type FetchedManifest, type RegistryBackend, type RequestStats } from './types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** An OCI image layout directory per image. */
export class OciLayoutBackend implements RegistryBackend {
  readonly url: string;
  private readonly counters: RequestStats = { requests: 0, byKind: {} };
  /** index.json is read-modify-write: parallel apply steps (merge, tag, prune) must not lose each other's edits. */
  private readonly indexQueues = new Map<string, Promise<unknown>>();

  constructor(private readonly dir: string, url?: string) {
    this.url = url ?? `oci:${dir}`;
  }

  repository(image: string): string {
    return `oci:${path.join(this.dir, image)}`;
  }

  private root(image: string) {
    return path.join(this.dir, image);
  }

  private blobPath(image: string, digest: string) {
    return path.join(this.root(image), 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  private count(kind: string) {
    this.counters.requests += 1;
    this.counters.byKind[kind] = (this.counters.byKind[kind] ?? 0) + 1;
  }

  private async readIndex(image: string): Promise<LayoutIndex> {
    try {
      return JSON.parse(await readFile(path.join(this.root(image), 'index.json'), 'utf8')) as LayoutIndex;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
      throw new RegistryError(this.repository(image), `OCI layout ${this.root(image)} has an unreadable index.json.`);
    }
  }

  private async writeIndex(image: string, index: LayoutIndex): Promise<void> {
    const root = this.root(image);
    await mkdir(path.join(root, 'blobs', 'sha256'), { recursive: true });
    if (!existsSync(path.join(root, 'oci-layout'))) await writeFile(path.join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const tmp = path.join(root, `.index.json.${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(index));
    await rename(tmp, path.join(root, 'index.json'));
  }

  /** Run one index.json edit of an image after the previous one has finished. */
  private editIndex<T>(image: string, edit: () => Promise<T>): Promise<T> {
    const run = (this.indexQueues.get(image) ?? Promise.resolve()).then(edit);
    this.indexQueues.set(image, run.catch(() => undefined));
    return run;
  }

  async listTags(image: string): Promise<string[]> {
    this.count('tags/list');
    const index = await this.readIndex(image);
    return index.manifests.map((m) => m.annotations?.[REF_NAME]).filter((t): t is string => Boolean(t));
  }

  private async find(image: string, reference: string): Promise<Descriptor | undefined> {
    const index = await this.readIndex(image);
    if (!isDigest(reference)) {
      const d = index.manifests.find((m) => m.annotations?.[REF_NAME] === reference);
      return d && { mediaType: d.mediaType, digest: d.digest, size: d.size };
    }
    const listed = index.manifests.find((m) => m.digest === reference);
    if (listed) return { mediaType: listed.mediaType, digest: listed.digest, size: listed.size };
    try {
      const bytes = await readFile(this.blobPath(image, reference));
      return { mediaType: (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ?? MediaType.OciManifest, digest: reference, size: bytes.length };
    } catch {
      return undefined;
    }
  }

  async headManifest(image: string, reference: string): Promise<Descriptor | undefined> {
    this.count('manifest:HEAD');
    return this.find(image, reference);
  }

  async getManifest(image: string, reference: string): Promise<FetchedManifest> {
    this.count('manifest:GET');
    const d = await this.find(image, reference);
    if (!d) throw new NotFoundError(`${this.repository(image)}:${reference}`, `${this.repository(image)}:${reference} does not exist.`);
    const bytes = new Uint8Array(await readFile(this.blobPath(image, d.digest)));
    if (sha256(bytes) !== d.digest) throw new DigestMismatchError(d.digest, `OCI layout blob ${d.digest} of ${image} is corrupt.`);
    return { descriptor: { ...d, size: bytes.length }, bytes };
  }

  async putManifest(image: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
    this.count('manifest:PUT');
    const digest = sha256(bytes);
    if (isDigest(reference) && reference !== digest) throw new DigestMismatchError(reference, `refusing to store content ${digest} under ${reference}.`);
    await this.writeBlob(image, digest, bytes);
    const descriptor: Descriptor = { mediaType, digest, size: bytes.length };
    await this.editIndex(image, async () => {
      const index = await this.readIndex(image);
      if (isDigest(reference)) {
        if (!index.manifests.some((m) => m.digest === digest)) index.manifests.push(descriptor);
      } else {
        index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== reference);
        index.manifests.push({ ...descriptor, annotations: { [REF_NAME]: reference } });
      }
      await this.writeIndex(image, index);
    });
    return descriptor;
  }

  /** An image layout has no referrers API: referrers live in the `sha256-<hex>` fallback index. */
  async referrers(): Promise<Descriptor[] | undefined> {
    return undefined;
  }

  async deleteManifest(image: string, digest: string): Promise<void> {
    this.count('manifest:DELETE');
    await this.editIndex(image, async () => {
      const index = await this.readIndex(image);
      const kept = index.manifests.filter((m) => m.digest !== digest);
      if (kept.length === index.manifests.length) throw new NotFoundError(digest, `${this.repository(image)}@${digest} does not exist.`);
      await this.writeIndex(image, { ...index, manifests: kept });
    });
  }

  async hasBlob(image: string, digest: string): Promise<boolean> {
    this.count('blob:HEAD');
    try { await stat(this.blobPath(image, digest)); return true; } catch { return false; }
  }

  async getBlob(image: string, digest: string): Promise<Uint8Array> {
    this.count('blob:GET');
    const bytes = new Uint8Array(await readFile(this.blobPath(image, digest)).catch(() => {
      throw new NotFoundError(digest, `blob ${digest} does not exist in ${this.repository(image)}.`);
    }));
    if (sha256(bytes) !== digest) throw new DigestMismatchError(digest, `OCI layout blob ${digest} of ${image} is corrupt.`);
    return bytes;
  }

  private async writeBlob(image: string, digest: string, data: Uint8Array) {
    const file = this.blobPath(image, digest);
    if (existsSync(file)) return;
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
  }

  async putBlob(image: string, digest: string, data: Uint8Array): Promise<void> {
    this.count('blob:PUT');
    if (sha256(data) !== digest) throw new DigestMismatchError(digest, `refusing to store content that is not ${digest}.`);
    await this.writeBlob(image, digest, data);
    await this.editIndex(image, async () => {
      if (!existsSync(path.join(this.root(image), 'index.json'))) await this.writeIndex(image, await this.readIndex(image));
    });
  }

  async putBlobFile(image: string, blob: BlobFile, mountFrom: string[] = []): Promise<BlobPutOutcome> {
    const file = this.blobPath(image, blob.digest);
    if (existsSync(file)) return 'present';
    this.count('blob:PUT');
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    // Copied through a hash, streamed: a layout has no registry to check the digest for it.
    const hash = createHash('sha256');
    const source = mountFrom.map((m) => this.blobPath(m, blob.digest)).find((p) => existsSync(p)) ?? blob.file;
    try {
      await pipeline(createReadStream(source), async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) { hash.update(chunk); yield chunk; }
      }, createWriteStream(tmp));
      if (`sha256:${hash.digest('hex')}` !== blob.digest) throw new DigestMismatchError(blob.digest, `refusing to store ${blob.file}: its content is not ${blob.digest}.`);
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
    await this.editIndex(image, async () => {
      if (!existsSync(path.join(this.root(image), 'index.json'))) await this.writeIndex(image, await this.readIndex(image));
    });
    return source === blob.file ? 'uploaded' : 'mounted';
  }

  stats(): RequestStats {
    return { requests: this.counters.requests, byKind: { ...this.counters.byKind } };
  }

  async close(_opts?: { abort?: boolean }): Promise<void> {}
}
