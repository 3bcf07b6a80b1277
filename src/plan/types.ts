/**
 * The plan is plain data (SPEC §4, Terraform's rule: one plan, many renderers). Every human view
 * and `--json` are drawn from this versioned shape.
 */

/** What an action does. */
/** Action types, in the order summaries list them (SPEC §4 `summary`). */
export const ACTION_TYPES = ['build', 'merge', 'tag', 'attest', 'prune', 'import'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** How many actions of each type: the plan's `summary`, and every per-app count the views show. */
export function countByType(actions: readonly { type: ActionType }[]): Record<ActionType, number> {
  const counts = Object.fromEntries(ACTION_TYPES.map((t) => [t, 0])) as Record<ActionType, number>;
  for (const a of actions) counts[a.type] += 1;
  return counts;
}

/** One step of the plan. */
export interface Action {
  /** `${type}:${address}`, unique in a plan. */
  id: string;
  type: ActionType;
  address: string;
  app: string;
  image: string;
  version?: string;
  platform?: string;
  /** Floating tag actions: the tag (`latest`); `version` is its target. */
  tag?: string;
  /** Floating tag actions: the version the tag points at now, when known. */
  from?: string;
  /** Floating tag actions: the digest the tag points at now when it is no version's (so it is not absent). */
  fromDigest?: string;
  /**
   * Prune actions: the index digest planned for deletion (apply refuses if the tag moved since).
   * Import actions: the index digest adopted (apply refuses if the tag moved since).
   */
  digest?: string;
  /** Prune actions: bytes the registry frees (blobs no kept manifest of the app references). */
  bytes?: number;
  /** Prune actions: platform manifests deleted after the index (never one a kept index references). */
  manifests?: string[];
  /** Builds and merge of a version named by `--replace`: rebuilt although the state records it. */
  replace?: boolean;
  /** Display-only reason (`missing in registry`, `latest moves 10.3.0 → 10.3.1`). */
  reason: string;
  /** Ids of actions that must finish first. */
  dependsOn: string[];
}

/**
 * Where the registry and the state disagree. `moved`: a tag points elsewhere than recorded;
 * `deleted`: a recorded tag is gone; `unknown` (refresh-only): a tag mirror neither recorded nor wants.
 */
export interface Drift {
  address: string;
  kind: 'moved' | 'deleted' | 'unknown';
  /** The recorded digest; null for an unknown tag. */
  expected: string | null;
  /** The registry's digest, or null when the tag is gone. */
  actual: string | null;
}

/**
 * `mirror plan --preflight`: a version the plan builds that would fail before its build starts
 * (the source tag is missing, a patch no longer applies, a required URL does not answer).
 */
export interface PreflightProblem {
  /** The version (`mattermost@10.4.1`, `outline/base-outline@1.9.2`). */
  address: string;
  check: 'ref' | 'patch' | 'url';
  reason: string;
}

/** Per-app summary of the desired state. */
export interface PlanApp {
  name: string;
  images: string[];
  /** Newest first. */
  window: string[];
  latest: string | null;
  /** Upstream tag of each window version (`10.3.1` → `v10.3.1`), for `{tag}` and checkouts at apply. */
  tags: Record<string, string>;
  /** Commit each tag points at, when the upstream said it. */
  commits?: Record<string, string>;
  warnings?: string[];
}

/** The plan (formatVersion 1). */
export interface Plan {
  formatVersion: 1;
  createdAt: string;
  configHash: string;
  registry: string;
  state: { lineage: string | null; serial: number };
  refreshOnly?: boolean;
  apps: PlanApp[];
  actions: Action[];
  drift: Drift[];
  summary: Record<ActionType, number>;
  /** Sum of the prune actions' bytes (present when the plan prunes). */
  reclaimBytes?: number;
  /** `--preflight` ran: what it found (empty: every version to build passed). */
  preflight?: PreflightProblem[];
}
