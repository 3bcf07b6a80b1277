/**
 * Attestations as OCI referrers of a version's index. Registries with the referrers API list them
 * by subject; others (Distribution 2.8, OCI layouts) get the OCI 1.1 tag-schema fallback: an
 * index tagged `sha256-<hex>` of the subject, which mirror keeps consistent itself. One
 * attestation per kind: attaching replaces the previous one of that kind (no duplicates).
 */
import { NotFoundError, RegistryError } from '../registry/errors.js';
import { prepareArtifactManifest } from '../registry/artifact.js';
import { sha256 } from '../registry/http-backend.js';
import { MediaType, type Descriptor, type RegistryBackend } from '../registry/types.js';
import { BUNDLE_MEDIA_TYPE, CONTENT_ANNOTATION, PREDICATE_ANNOTATION, PREDICATE_TYPES, kindOfPredicate, type AttestationKind } from './types.js';

/** The tag-schema fallback tag of a digest: `sha256:ab…` → `sha256-ab…`. */
export function fallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

/** Referrers of a subject and where the list came from. */
export interface ReferrerList {
  manifests: Descriptor[];
  via: 'api' | 'tag';
  /** The fallback index's own digest, when one was read. */
  fallback?: string;
}

/** Parse a fallback index body into its descriptors (unknown entries kept: other tools' referrers). */
function parseReferrerIndex(bytes: Uint8Array, where: string): Descriptor[] {
  let index: { mediaType?: string; manifests?: unknown };
  try {
    index = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof index;
  } catch {
    throw new RegistryError(where, `${where} is not a JSON index; mirror will not overwrite it.`, 'Inspect and delete that tag by hand if it is not a referrers index.');
  }
  if (!Array.isArray(index.manifests)) throw new RegistryError(where, `${where} is not an image index (no manifests list); mirror will not overwrite it.`);
  return index.manifests as Descriptor[];
}

/**
 * List a subject's referrers: the API when the registry has one, else the fallback tag. `tags`,
 * the image's tag list when the caller already has it, spares the GET of a fallback tag it lacks.
 */
export async function listReferrers(registry: RegistryBackend, image: string, subject: string, tags?: ReadonlySet<string>): Promise<ReferrerList> {
  const api = await registry.referrers(image, subject);
  if (api) return { manifests: api, via: 'api' };
  return readFallback(registry, image, subject, tags);
}

/** The referrers the `sha256-<hex>` fallback index lists (none when it does not exist). */
async function readFallback(registry: RegistryBackend, image: string, subject: string, tags?: ReadonlySet<string>): Promise<ReferrerList> {
  const tag = fallbackTag(subject);
  if (tags && !tags.has(tag)) return { manifests: [], via: 'tag' };
  try {
    const fetched = await registry.getManifest(image, tag);
    return { manifests: parseReferrerIndex(fetched.bytes, `${registry.repository(image)}:${tag}`), via: 'tag', fallback: fetched.descriptor.digest };
  } catch (error) {
    if (error instanceof NotFoundError) return { manifests: [], via: 'tag' };
    throw error;
  }
}

/** The kind of a referrer descriptor mirror attached (by artifactType and predicateType annotation). */
export function kindOfReferrer(d: Descriptor): AttestationKind | undefined {
  if (d.artifactType !== BUNDLE_MEDIA_TYPE) return undefined;
  return kindOfPredicate(d.annotations?.[PREDICATE_ANNOTATION]);
}

/** Referrers of mirror's kinds, newest attachment last per kind as listed. */
export function attestationsIn(manifests: Descriptor[]): Map<AttestationKind, Descriptor[]> {
  const byKind = new Map<AttestationKind, Descriptor[]>();
  for (const d of manifests) {
    const kind = kindOfReferrer(d);
    if (kind) byKind.set(kind, [...(byKind.get(kind) ?? []), d]);
  }
  return byKind;
}

/** Attaches in flight per backend and `image@subject`: the fallback index is read-modify-write. */
const inFlight = new WeakMap<RegistryBackend, Map<string, Promise<unknown>>>();

/**
 * Attach a bundle as a referrer of `subject`, replacing any earlier attestation of the same kind.
 * Returns the new referrer manifest's digest. Attaches to one subject through one backend run one
 * at a time: two version tags on one index attest in parallel, and interleaved read-modify-writes
 * of the fallback index dropped each other's entries.
 */
export function attachBundle(registry: RegistryBackend, image: string, subject: Descriptor, kind: AttestationKind, bundle: Uint8Array): Promise<string> {
  const queues = inFlight.get(registry) ?? new Map<string, Promise<unknown>>();
  inFlight.set(registry, queues);
  const key = `${image}@${subject.digest}`;
  const next = (queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => attachNow(registry, image, subject, kind, bundle));
  queues.set(key, next);
  void next.finally(() => { if (queues.get(key) === next) queues.delete(key); }).catch(() => undefined);
  return next;
}

async function attachNow(registry: RegistryBackend, image: string, subject: Descriptor, kind: AttestationKind, bundle: Uint8Array): Promise<string> {
  const annotations = { [PREDICATE_ANNOTATION]: PREDICATE_TYPES[kind], [CONTENT_ANNOTATION]: 'dsse-envelope' };
  const manifest = await prepareArtifactManifest(registry, image, { type: BUNDLE_MEDIA_TYPE, content: bundle, annotations, subject });
  const put = await registry.putManifest(image, sha256(manifest), manifest, MediaType.OciManifest);
  // The fallback index carries the manifest's annotations (created time included), as the
  // referrers API would list them (cosign specs/BUNDLE_SPEC.md "Annotations").
  const written = (JSON.parse(Buffer.from(manifest).toString('utf8')) as { annotations?: Record<string, string> }).annotations ?? annotations;
  const entry: Descriptor = { mediaType: MediaType.OciManifest, digest: put.digest, size: put.size, artifactType: BUNDLE_MEDIA_TYPE, annotations: written };
  let current = await listReferrers(registry, image, subject.digest);
  // Distribution spec v1.1: a registry that indexed the subject answers with OCI-Subject; without
  // it the client must keep the tag-schema fallback up to date itself, referrers API or not.
  if (current.via === 'api' && put.ociSubject !== subject.digest) current = await readFallback(registry, image, subject.digest);
  const replaced = current.manifests.filter((d) => kindOfReferrer(d) === kind && d.digest !== put.digest);
  if (current.via === 'tag') {
    const kept = current.manifests.filter((d) => kindOfReferrer(d) !== kind);
    const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...kept, entry] };
    await registry.putManifest(image, fallbackTag(subject.digest), new TextEncoder().encode(JSON.stringify(index)), MediaType.OciIndex);
  }
  for (const old of replaced) {
    try {
      await registry.deleteManifest(image, old.digest);
    } catch (error) {
      // Out of the fallback index an old referrer is invisible; through the API it would still be listed.
      if (current.via === 'api' && !(error instanceof NotFoundError)) throw error;
    }
  }
  return put.digest;
}
