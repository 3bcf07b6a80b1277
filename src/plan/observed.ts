/**
 * What the planner knows about the world, gathered by src/plan/observe/. Plain data so the
 * diff stays pure and is unit-testable with hand-made worlds.
 */
import type { AttestationKind } from '../providers/attest/types.js';
import type { WindowVersion } from '../providers/upstream/types.js';
import { entryFor, platformString } from '../providers/registry/types.js';

/** What the registry said about one image repository. */
export interface ObservedRepository {
  /** Every tag in the repository (one listing). */
  tags: Set<string>;
  /** Digests of the tags that were HEADed (floating tags, their targets, tags recorded in state). */
  tagDigests: Map<string, string>;
  /** Manifests HEADed by digest: true when present (platform builds recorded in state). */
  manifests: Map<string, boolean>;
  /**
   * Attestation kinds found among the referrers of recorded, undrifted window indexes (by index
   * digest), one entry per referrer (a kind twice = two referrers of it). A digest absent here was
   * not looked at: the planner then proposes nothing for it.
   */
  attested?: Map<string, AttestationKind[]>;
  /**
   * Window versions the registry holds under their version tag but the state does not record,
   * read with one GET each: what `import` would adopt (a complete index) or what must be rebuilt
   * (a single-platform image, an index lacking a configured platform). A version absent here was
   * not looked at: the planner then proposes nothing for it.
   */
  untracked?: Map<string, RegistryVersion>;
  /**
   * Retention only (an app with a policy and something it would prune): every tagged manifest of
   * the repository and the platform manifests of its indexes, GETted by digest, so the planner can
   * tell which blobs a prune frees and which platform manifests a kept index still needs.
   */
  contents?: Map<string, ManifestContent>;
}

/** What a version tag holds in the registry: an index with its platform manifests, or one image (platforms null). */
export interface RegistryVersion {
  digest: string;
  mediaType: string;
  size: number;
  /** The index's platform manifests (attestation entries such as `unknown/unknown` left out); null for a single-platform image. */
  platforms: Array<{ platform: string; digest: string; mediaType: string; size: number }> | null;
}

const INDEX_TYPES: readonly string[] = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

/** Read a fetched version manifest: an index and its platforms, or a single image. */
export function readRegistryVersion(descriptor: { digest: string; mediaType: string }, bytes: Uint8Array): RegistryVersion {
  const body = JSON.parse(Buffer.from(bytes).toString()) as { mediaType?: string; manifests?: Array<{ digest: string; mediaType: string; size: number; platform?: { os: string; architecture: string; variant?: string } }> };
  const mediaType = descriptor.mediaType || body.mediaType || '';
  const base = { digest: descriptor.digest, mediaType, size: bytes.length };
  if (!INDEX_TYPES.includes(mediaType) && !Array.isArray(body.manifests)) return { ...base, platforms: null };
  // Stryker disable next-line ArrayDeclaration: a placeholder entry has no platform, so it is left out like an attestation
  const platforms = (body.manifests ?? []).flatMap((m) => {
    const p = m.platform?.os !== 'unknown' ? platformString(m) : undefined;
    return p ? [{ platform: p, digest: m.digest, mediaType: m.mediaType, size: m.size }] : [];
  });
  return { ...base, platforms };
}

/**
 * Configured platforms a registry version lacks (all of them for a single-platform image): none
 * means it can be adopted. An entry of a variant serves its platform (`linux/arm64/v8` is the
 * `linux/arm64` of an index merge wrote), as apply reads it (entryFor).
 */
export function missingPlatforms(version: RegistryVersion, platforms: readonly string[]): string[] {
  const held = version.platforms;
  if (held === null) return [...platforms];
  return platforms.filter((p) => !entryFor(held, p, (e) => e.platform));
}

/** What one manifest references (retention's byte accounting). */
export interface ManifestContent {
  /** Size of the manifest itself. */
  size: number;
  /** An index: its platform manifests. */
  manifests?: Array<{ digest: string; size: number }>;
  /** An image manifest: its config and layers. */
  blobs?: Array<{ digest: string; size: number }>;
}

/** Everything the diff needs. */
export interface Observed {
  /** Window per app, newest first. */
  windows: Map<string, WindowVersion[]>;
  /** Per image name. */
  registry: Map<string, ObservedRepository>;
}

/** An empty repository observation. */
export function emptyRepository(): ObservedRepository {
  return { tags: new Set(), tagDigests: new Map(), manifests: new Map() };
}
