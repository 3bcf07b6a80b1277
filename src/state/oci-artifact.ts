/**
 * The state and its lock as OCI artifacts (image manifest + empty config + one JSON layer), the
 * shape ORAS and OCI 1.1 registries expect, so `oras pull`/`skopeo inspect` can read them too.
 * This file knows the ref grammar and the artifact shape; the store and the locker the semantics.
 */
import type { ResolvedConfig } from '../config/model.js';
import { AbortError } from '../errors.js';
import { prepareArtifactManifest, readArtifact, type FetchedArtifact, type RegistrySettings } from '../providers/registry/index.js';
import { parseImageReference, parseRegistryUrl } from '../oci/reference.js';
import { MediaType, type RegistryBackend } from '../providers/registry/types.js';

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
  // Stryker disable next-line EqualityOperator: a parsed repository never starts with '/'
  const namespace = slash >= 0 ? parsed.repository.slice(0, slash) : '';
  const image = parsed.repository.slice(slash + 1);
  const main = parseRegistryUrl(registry.url);
  // Stryker disable next-line ConditionalExpression: an oci: registry url has no host, so the host comparison is false anyway
  const sameHost = main.kind === 'http' && main.host === parsed.host;
  const settings: RegistrySettings = {
    url: namespace ? `${parsed.host}/${namespace}` : parsed.host,
    insecure: sameHost ? registry.insecure : false,
    ...(sameHost ? { username: registry.username, password: registry.password } : {}),
  };
  return { settings, image, tag: parsed.tag };
}

export type { ArtifactManifest, FetchedArtifact } from '../providers/registry/index.js';

/**
 * GET `tag` and its layer (readArtifact on the target). A manifest that is not an artifact of
 * `type` comes back with `problem` set: the store refuses to touch it, the locker refuses foreign
 * ones and holds unreadable ones. `known` saves pollers the layer download.
 */
export function fetchArtifact(target: OciTarget, tag: string, type: string, known?: FetchedArtifact): Promise<FetchedArtifact | undefined> {
  return readArtifact(target.registry, target.image, tag, type, known);
}

/** Upload `content` and the empty config blob; returns the manifest to PUT (not yet PUT). */
export function prepareArtifact(target: OciTarget, type: string, content: Uint8Array, annotations: Record<string, string> = {}, title?: string): Promise<Uint8Array> {
  return prepareArtifactManifest(target.registry, target.image, { type, content, annotations, title });
}

/** PUT manifest bytes under a tag; returns the manifest digest. */
export async function putArtifact(target: OciTarget, tag: string, manifest: Uint8Array): Promise<string> {
  return (await target.registry.putManifest(target.image, tag, manifest, MediaType.OciManifest)).digest;
}
