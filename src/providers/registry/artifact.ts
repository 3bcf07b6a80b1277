/**
 * OCI 1.1 artifacts: an image manifest with an `artifactType`, the empty config and one layer,
 * optionally with a `subject` (a referrer). The shape ORAS, cosign and OCI 1.1 registries expect,
 * written and read here for both the oci state backend and the attestations.
 */
import { NotFoundError } from './errors.js';
import { sha256 } from './http-backend.js';
import { isDigest } from '../../oci/reference.js';
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

/** The fields of an OCI image manifest an artifact reader looks at. */
export interface ArtifactManifest {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A fetched artifact: its manifest (raw bytes kept, to re-tag them byte for byte) and its one layer. */
export interface FetchedArtifact {
  digest: string;
  manifestBytes: Uint8Array;
  manifest: ArtifactManifest;
  /** Layer content, or undefined when the manifest is not the expected artifact (see `problem`). */
  layer?: Uint8Array;
  /** Why this is not a well-formed artifact of the expected type. */
  problem?: string;
}

/**
 * GET an artifact of `type` and its layer. Undefined when the manifest does not exist. A manifest
 * that is not an artifact of `type` (or whose layer is gone) comes back with `problem` set, never
 * thrown: callers decide. `known`: returned as is when `reference` still has its digest, saving
 * pollers the layer download.
 */
export async function readArtifact(registry: RegistryBackend, image: string, reference: string, type: string, known?: FetchedArtifact): Promise<FetchedArtifact | undefined> {
  let fetched;
  try {
    fetched = await registry.getManifest(image, reference);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  // Pollers (the locker) see the same manifest again and again: its layer cannot have changed.
  if (known && known.digest === fetched.descriptor.digest) return known;
  const base = { digest: fetched.descriptor.digest, manifestBytes: fetched.bytes };
  let manifest: ArtifactManifest;
  try {
    manifest = JSON.parse(Buffer.from(fetched.bytes).toString('utf8')) as ArtifactManifest;
  } catch {
    return { ...base, manifest: {}, problem: 'its manifest is not JSON' };
  }
  if (typeof manifest !== 'object' || manifest === null) return { ...base, manifest: {}, problem: 'its manifest is not a JSON object' };
  const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
  if (manifest.artifactType !== type) {
    return { ...base, manifest, problem: `it is not a ${type} artifact (artifactType ${manifest.artifactType ?? 'missing'}, media type ${manifest.mediaType ?? fetched.descriptor.mediaType})` };
  }
  const layer = layers.length === 1 ? layers[0] : undefined;
  if (!layer || typeof layer !== 'object' || layer.mediaType !== type || !isDigest(String(layer.digest))) {
    return { ...base, manifest, problem: `it should have exactly one ${type} layer (it has ${layers.length} layers${layers.length === 1 ? ', not of that type' : ''})` };
  }
  try {
    return { ...base, manifest, layer: await registry.getBlob(image, layer.digest) };
  } catch (error) {
    if (error instanceof NotFoundError) return { ...base, manifest, problem: `its layer ${layer.digest} is missing from the registry` };
    throw error;
  }
}
