/**
 * Small real images made in-process (a one-file tar layer, a config with os/architecture, an OCI
 * manifest) and pushed through mirror's own registry client, so registry tests need no builder.
 */
import { MediaType, type Descriptor, type RegistryBackend } from '../../src/providers/registry/types.js';
import { sha256 } from '../../src/providers/registry/http-backend.js';

/** A one-file ustar archive. */
export function tarWithFile(name: string, content: string): Uint8Array {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  const put = (s: string, offset: number, len: number) => header.write(s.slice(0, len), offset, len, 'ascii');
  put(name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12);
  put('00000000000\0', 136, 12);
  header.fill(' ', 148, 156);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return new Uint8Array(Buffer.concat([header, padded, Buffer.alloc(1024)]));
}

const json = (v: unknown) => new Uint8Array(Buffer.from(JSON.stringify(v)));

/** Push a single-platform image by digest (and under `tag` when given). */
export async function pushTestImage(backend: RegistryBackend, image: string, opts: { architecture: string; os?: string; variant?: string; tag?: string; content?: string; format?: 'oci' | 'docker' }): Promise<Descriptor> {
  const os = opts.os ?? 'linux';
  const variant = opts.variant ? { variant: opts.variant } : {};
  const layer = tarWithFile('hello.txt', opts.content ?? `${image} ${os}/${opts.architecture}${opts.variant ? `/${opts.variant}` : ''}\n`);
  const layerDigest = sha256(layer);
  const config = json({
    architecture: opts.architecture, os, ...variant, created: '2026-01-01T00:00:00Z',
    config: { Labels: { 'org.opencontainers.image.title': image } },
    rootfs: { type: 'layers', diff_ids: [layerDigest] }, history: [{ created: '2026-01-01T00:00:00Z', created_by: 'mirror test rig' }],
  });
  await backend.putBlob(image, layerDigest, layer);
  await backend.putBlob(image, sha256(config), config);
  // Docker's schema 2 (what `docker push` and buildah's --format docker write) or OCI.
  const docker = opts.format === 'docker';
  const manifestType = docker ? MediaType.DockerManifest : MediaType.OciManifest;
  const manifest = json({
    schemaVersion: 2, mediaType: manifestType,
    config: { mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig, digest: sha256(config), size: config.length },
    layers: [{ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar' : 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  });
  const digest = sha256(manifest);
  const put = await backend.putManifest(image, opts.tag ?? digest, manifest, manifestType);
  return { ...put, platform: { os, architecture: opts.architecture, ...variant } };
}

/** Push an index over platform manifests under a tag. */
export async function pushTestIndex(backend: RegistryBackend, image: string, tag: string, manifests: Descriptor[]): Promise<Descriptor> {
  const index = json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });
  return backend.putManifest(image, tag, index, MediaType.OciIndex);
}
