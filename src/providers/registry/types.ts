/**
 * Registry provider contracts. Layering follows regclient: reference parsing → HTTP (auth, retry,
 * rate limits) → a client grouped by verb → a backend bound to `registry.url` that mirror talks to
 * with image names. Two backends: HTTP (OCI distribution API) and `oci:<dir>` (OCI image layout).
 */

/** Media types mirror reads and writes. */
export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** The Accept header for every manifest HEAD/GET (Distribution 2.8 answers 404 without them). */
export const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(', ');

/** An OCI content descriptor (the subset mirror uses). */
export interface Descriptor {
  mediaType: string;
  digest: string; // sha256:<64 hex>
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** A pushed manifest's descriptor, and the `OCI-Subject` a registry with the referrers API answers a manifest with a subject. */
export interface PutManifestResult extends Descriptor {
  ociSubject?: string;
}

/** `os/arch[/variant]` of a descriptor, the form config and plan use (`linux/arm64/v8`); undefined without a platform. */
export function platformString(d: Pick<Descriptor, 'platform'>): string | undefined {
  return d.platform && `${d.platform.os}/${d.platform.architecture}${d.platform.variant ? `/${d.platform.variant}` : ''}`;
}

/**
 * `linux/arm64` is served by an image of `linux/arm64/v8` (its variant), but `linux/arm` is not by
 * `linux/arm64`. Merge writes each index entry's platform from the image config, where an arm64
 * image says variant v8; config and plan name the platform without it.
 */
export function servesPlatform(actual: string | undefined, platform: string): boolean {
  return actual !== undefined && (actual === platform || actual.startsWith(`${platform}/`));
}

/** The variant an image of `os/arch` is when it names none (the OCI image index spec's defaults). */
const DEFAULT_VARIANT: Record<string, string> = { 'linux/arm64': 'v8', 'linux/arm': 'v7' };

/**
 * The entry of an index for `platform`: the exact platform, else its one variant, else, among
 * several variants, the default one; undefined when none, or several and none the default.
 * `platformOf` reads an entry's platform (a descriptor's by default).
 */
export function entryFor<T>(entries: readonly T[], platform: string, platformOf: (e: T) => string | undefined = (e) => platformString(e as Pick<Descriptor, 'platform'>)): T | undefined {
  const exact = entries.find((m) => platformOf(m) === platform);
  if (exact) return exact;
  const variants = entries.filter((m) => servesPlatform(platformOf(m), platform));
  if (variants.length <= 1) return variants[0];
  const preferred = DEFAULT_VARIANT[platform];
  return preferred ? variants.find((m) => platformOf(m) === `${platform}/${preferred}`) : undefined;
}

/** A fetched manifest: its descriptor (digest verified against the body) and raw bytes. */
export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** Counters the benchmark and tests read to prove request budgets. */
export interface RequestStats {
  requests: number;
  /** e.g. { 'tags/list': 3, 'manifest:HEAD': 10 }; `upload:bytes` counts blob bytes sent, not requests. */
  byKind: Record<string, number>;
}

/** A blob on disk, to upload streamed. */
export interface BlobFile {
  digest: string;
  size: number;
  file: string;
}

/** What putBlobFile did: nothing (the repository had it), a cross-repo mount (no bytes sent), or an upload. */
export type BlobPutOutcome = 'present' | 'mounted' | 'uploaded';

/**
 * The registry as mirror sees it: repositories addressed by image name under `registry.url`
 * (`host:port/namespace` + `/` + image, or `<dir>/<image>` for an OCI layout).
 */
export interface RegistryBackend {
  /** `registry.url` as configured, for messages. */
  readonly url: string;
  /** Full repository for an image, e.g. `localhost:5000/ns/mattermost`. */
  repository(image: string): string;
  /** All tags of the image's repository (following `Link` pagination); [] when the repository does not exist. */
  listTags(image: string): Promise<string[]>;
  /** HEAD a manifest by tag or digest; undefined when absent. */
  headManifest(image: string, reference: string): Promise<Descriptor | undefined>;
  /** GET a manifest by tag or digest; the digest is verified against the body. Throws NotFoundError when absent. */
  getManifest(image: string, reference: string): Promise<FetchedManifest>;
  /** PUT a manifest under a tag or its own digest; returns its descriptor. */
  putManifest(image: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<PutManifestResult>;
  /** DELETE a manifest by digest (Distribution only deletes by digest). */
  deleteManifest(image: string, digest: string): Promise<void>;
  /**
   * Referrers of a manifest through the OCI 1.1 referrers API, or undefined when the registry has
   * no such API (Distribution 2.8, OCI layouts): callers then use the `sha256-<hex>` tag fallback.
   */
  referrers(image: string, digest: string): Promise<Descriptor[] | undefined>;
  /** Whether a blob exists in the image's repository. */
  hasBlob(image: string, digest: string): Promise<boolean>;
  /** GET a blob (digest verified). */
  getBlob(image: string, digest: string): Promise<Uint8Array>;
  /** Upload a blob (skipped when present; cross-repo mount from `mountFrom` image when possible). */
  putBlob(image: string, digest: string, data: Uint8Array, mountFrom?: string): Promise<void>;
  /**
   * Upload a blob from a file, streamed: skipped when present, mounted from the first of
   * `mountFrom` (other images of this registry) that holds it, else sent (monolithic or chunked).
   */
  putBlobFile(image: string, blob: BlobFile, mountFrom?: string[], signal?: AbortSignal): Promise<BlobPutOutcome>;
  /** Request counters since creation. */
  stats(): RequestStats;
  /** Release sockets once their requests are answered; with `abort`, at once, failing what is still on its way (a run that already failed). */
  close(opts?: { abort?: boolean }): Promise<void>;
}
