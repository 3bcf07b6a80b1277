/**
 * The state and its lock as OCI artifacts (image manifest + empty config + one JSON layer), the
 * shape ORAS and OCI 1.1 registries expect, so `oras pull`/`skopeo inspect` can read them too.
 * This file knows the ref grammar and the artifact shape; the store and the locker the semantics.
 */
import type { ResolvedConfig } from '../config/model.js';
import { AbortError } from '../errors.js';
import { prepareArtifactManifest } from '../providers/registry/artifact.js';
import type { RegistrySettings } from '../providers/registry/index.js';
import { NotFoundError } from '../providers/registry/errors.js';
import { isDigest, parseImageReference, parseRegistryUrl } from '../providers/registry/reference.js';
import { MediaType, type Descriptor, type RegistryBackend } from '../providers/registry/types.js';

/** artifactType and layer mediaType of the state artifact. */
export const STATE_TYPE = 'application/vnd.mirror.state.v1+json';
/** artifactType and layer mediaType of the lock artifact. */
export const LOCK_TYPE = 'application/vnd.mirror.lock.v1+json';

// The longest suffix we append (`-backup`) must still leave a valid tag (128 chars max).
const SUFFIXES = ['-backup', '-lock'];
const MAX_TAG = 128 - Math.max(...SUFFIXES.map((s) => s.length));

/** Where the state artifact lives: one repository of one registry, and its tag. */
export interface OciTarget {
  registry: RegistryBackend;
  /** Image name under the registry url (the ref's last path segment). */
  image: string;
  tag: string;
  /** The ref as configured, for messages. */
  location: string;
}

/** A state ref split into what createRegistryBackend needs. */
export interface ParsedStateRef {
  settings: RegistrySettings;
  image: string;
  tag: string;
}

const EXAMPLE = "Example: state: { backend: 'oci', ref: 'ghcr.io/my-org/mirror/state:main' }.";

/**
 * Split `HOST[:PORT]/NAMESPACE/REPO:TAG`. Registry settings (insecure, credentials) are borrowed
 * from `registry` only when the host is the same: credentials must never go to another host.
 */
export function parseStateRef(ref: string, registry: ResolvedConfig['registry']): ParsedStateRef {
  if (ref.startsWith('oci:')) {
    throw new AbortError(
      `state.ref "${ref}" is an OCI layout directory; the oci state backend needs a registry.`,
      "A directory is local anyway: use state: { path: '.mirror/state.json' }, or a registry ref. " + EXAMPLE,
    );
  }
  // Never echo a ref holding '@': it may be `user:password@host/…`.
  if (ref.includes('@')) {
    throw new AbortError('state.ref must be REGISTRY/REPO:TAG without "@" (no digest, no user:password@).', `Credentials come from registry.username/password or the docker config. ${EXAMPLE}`);
  }
  const cleaned = ref.trim().replace(/^(https?|docker):\/\//, '');
  let parsed;
  try {
    parsed = parseImageReference(cleaned);
  } catch {
    throw new AbortError(`state.ref "${ref}" is not REGISTRY/REPO:TAG.`, EXAMPLE);
  }
  if (!parsed.tag) throw new AbortError(`state.ref "${ref}" has no tag; the state is kept under a tag (REGISTRY/REPO:TAG).`, EXAMPLE);
  if (parsed.tag.length > MAX_TAG) {
    throw new AbortError(`state.ref "${ref}" has a tag longer than ${MAX_TAG} characters; mirror appends ${SUFFIXES.join(' and ')} to it.`, EXAMPLE);
  }
  const slash = parsed.repository.lastIndexOf('/');
  const namespace = slash >= 0 ? parsed.repository.slice(0, slash) : '';
  const image = parsed.repository.slice(slash + 1);
  const main = parseRegistryUrl(registry.url);
  const sameHost = main.kind === 'http' && main.host === parsed.host;
  const settings: RegistrySettings = {
    url: namespace ? `${parsed.host}/${namespace}` : parsed.host,
    insecure: sameHost ? registry.insecure : false,
    ...(sameHost ? { username: registry.username, password: registry.password } : {}),
  };
  return { settings, image, tag: parsed.tag };
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

/** The fields of an OCI image manifest we read. */
export interface ArtifactManifest {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  annotations?: Record<string, string>;
}

/**
 * GET `tag` and its layer. Undefined when the tag does not exist. A manifest that is not an
 * artifact of `type` comes back with `problem` set, never thrown: callers decide (the store
 * refuses to touch it, the locker refuses foreign ones and holds unreadable ones). `known`:
 * returned as is when the tag still has its digest, saving pollers the layer download.
 */
export async function fetchArtifact(target: OciTarget, tag: string, type: string, known?: FetchedArtifact): Promise<FetchedArtifact | undefined> {
  let fetched;
  try {
    fetched = await target.registry.getManifest(target.image, tag);
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
    return { ...base, manifest, layer: await target.registry.getBlob(target.image, layer.digest) };
  } catch (error) {
    if (error instanceof NotFoundError) return { ...base, manifest, problem: `its layer ${layer.digest} is missing from the registry` };
    throw error;
  }
}

/** Upload `content` and the empty config blob; returns the manifest to PUT (not yet PUT). */
export function prepareArtifact(target: OciTarget, type: string, content: Uint8Array, annotations: Record<string, string> = {}, title?: string): Promise<Uint8Array> {
  return prepareArtifactManifest(target.registry, target.image, { type, content, annotations, title });
}

/** PUT manifest bytes under a tag; returns the manifest digest. */
export async function putArtifact(target: OciTarget, tag: string, manifest: Uint8Array): Promise<string> {
  return (await target.registry.putManifest(target.image, tag, manifest, MediaType.OciManifest)).digest;
}
