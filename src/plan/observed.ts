/**
 * What the planner knows about the world, gathered by src/services/observe.ts. Plain data so the
 * diff stays pure and is unit-testable with hand-made worlds.
 */
import type { WindowVersion } from '../providers/upstream/types.js';

/** What the registry said about one image repository. */
export interface ObservedRepository {
  /** Every tag in the repository (one listing). */
  tags: Set<string>;
  /** Digests of the tags that were HEADed (floating tags, their targets, tags recorded in state). */
  tagDigests: Map<string, string>;
  /** Manifests HEADed by digest: true when present (platform builds recorded in state). */
  manifests: Map<string, boolean>;
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
