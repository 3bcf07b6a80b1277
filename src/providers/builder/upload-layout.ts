/**
 * Push an image from a local OCI layout to the registry by digest: blobs first (HEAD, skip if
 * present), then the manifest PUT under its own digest. No tag is ever written, so a half-finished
 * run can never leave a tag on a single-platform image (`buildah push docker://REPO` would write `:latest`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BugError } from '../../errors.js';
import type { Descriptor, RegistryBackend } from '../registry/types.js';
import type { BuildResult } from './types.js';

const blobFile = (dir: string, digest: string) => path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
const blob = (dir: string, digest: string) => readFile(blobFile(dir, digest));

/**
 * Upload the single manifest of an OCI layout (and its blobs) to `image`, by digest. Blobs stream
 * from the layout's files; those `mountFrom` images already hold (the base image an app is built
 * FROM, on the same registry) are mounted, not sent. An aborted `signal` (Ctrl-C) stops the blob
 * in flight and starts no other request: the manifest is never PUT, so nothing half-pushed is published.
 */
export async function uploadLayout(dir: string, registry: RegistryBackend, image: string, mountFrom: string[] = [], signal?: AbortSignal): Promise<BuildResult> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const top = index.manifests[0];
  if (!top || index.manifests.length !== 1) throw new BugError(`OCI layout ${dir} should hold exactly one image, holds ${index.manifests.length}`);
  const bytes = await blob(dir, top.digest);
  const manifest = JSON.parse(bytes.toString()) as { config: Descriptor; layers: Descriptor[]; mediaType?: string };
  for (const d of [manifest.config, ...manifest.layers]) {
    signal?.throwIfAborted();
    await registry.putBlobFile(image, { digest: d.digest, size: d.size, file: blobFile(dir, d.digest) }, mountFrom, signal);
  }
  signal?.throwIfAborted();
  const mediaType = manifest.mediaType ?? top.mediaType;
  const put = await registry.putManifest(image, top.digest, new Uint8Array(bytes), mediaType);
  return { digest: put.digest, mediaType, size: put.size };
}
