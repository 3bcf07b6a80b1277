/**
 * OCI 1.1 artifacts: an image manifest with an `artifactType`, the empty config and one layer,
 * optionally with a `subject` (a referrer). The shape ORAS, cosign and OCI 1.1 registries expect,
 * shared by the oci state backend and the attestations.
 */
import { sha256 } from './http-backend.js';
import { MediaType, type Descriptor, type RegistryBackend } from './types.js';

/** OCI 1.1 empty descriptor media type, used as the config of artifacts that have none. */
export const EMPTY_TYPE = 'application/vnd.oci.empty.v1+json';
const EMPTY_BYTES = new TextEncoder().encode('{}');
const EMPTY_DIGEST = sha256(EMPTY_BYTES);

/** What goes into an artifact. */
export interface ArtifactSpec {
  /** artifactType, also the layer's media type. */
  type: string;
  content: Uint8Array;
  annotations?: Record<string, string>;
  /** `org.opencontainers.image.title` of the layer. */
  title?: string;
  /** Makes the artifact a referrer of this manifest. */
  subject?: Descriptor;
}

/** Upload the layer and the empty config blob; returns the manifest bytes to PUT (not yet PUT). */
export async function prepareArtifactManifest(registry: RegistryBackend, image: string, spec: ArtifactSpec): Promise<Uint8Array> {
  const digest = sha256(spec.content);
  // Blobs are skipped by putBlob when already present (the empty config after the first write).
  await registry.putBlob(image, EMPTY_DIGEST, EMPTY_BYTES);
  await registry.putBlob(image, digest, spec.content);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: spec.type,
    config: { mediaType: EMPTY_TYPE, digest: EMPTY_DIGEST, size: EMPTY_BYTES.length },
    layers: [{ mediaType: spec.type, digest, size: spec.content.length, ...(spec.title ? { annotations: { 'org.opencontainers.image.title': spec.title } } : {}) }],
    ...(spec.subject ? { subject: { mediaType: spec.subject.mediaType, digest: spec.subject.digest, size: spec.subject.size } } : {}),
    annotations: { 'org.opencontainers.image.created': new Date().toISOString(), ...spec.annotations },
  };
  return new TextEncoder().encode(JSON.stringify(manifest));
}
