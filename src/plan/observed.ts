/**
 * What the planner knows about the world, gathered by src/services/observe.ts. Plain data so the
 * diff stays pure and is unit-testable with hand-made worlds.
 */
import type { AttestationKind } from '../providers/attest/types.js';
import type { WindowVersion } from '../providers/upstream/types.js';

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
   * Retention only (an app with a policy and something it would prune): every tagged manifest of
   * the repository and the platform manifests of its indexes, GETted by digest, so the planner can
   * tell which blobs a prune frees and which platform manifests a kept index still needs.
   */
  contents?: Map<string, ManifestContent>;
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
