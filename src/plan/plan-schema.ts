/**
 * The shape of a saved plan, checked when it is read back. A plan file is input like any other
 * (hand-edited, truncated, from another mirror): its names end up in registry URLs, `git clone
 * --branch` and state addresses, so each is held to the same grammar the planner produced it with.
 */
import { z } from 'zod';
import { ImageNameSchema as name, PlatformSchema } from '../config/schema.js';
import { DIGEST_RE, TAG_RE } from '../oci/reference.js';
import { unsafeTagReason } from './window.js';

/** Versions and upstream tags: what the window resolver lets through (no shell characters, no `..`). */
const safe = z.string().refine((s) => unsafeTagReason(s) === undefined, 'not a safe version or tag');
const digest = z.string().regex(DIGEST_RE, 'expected sha256:<64 hex>');

// Fields every action carries (the variants below add their own).
const head = {
  /** `${type}:${address}`, unique in a plan. */
  id: z.string(),
  address: z.string(),
  app: name,
  image: name,
};
const tail = {
  /** Display-only reason (`missing in registry`, `latest moves 10.3.0 → 10.3.1`). */
  reason: z.string(),
  /** Ids of actions that must finish first. */
  dependsOn: z.array(z.string()),
};
/** Builds and merge of a version named by `--replace`: rebuilt although the state records it. */
const replace = z.boolean().optional();

/** One step of the plan: a union on `type`, each variant with exactly its fields (SPEC §1 Actions). */
export const ActionSchema = z.discriminatedUnion('type', [
  /** Build one image version for one platform, push it by digest. */
  z.object({ ...head, type: z.literal('build'), version: safe, platform: PlatformSchema, replace, ...tail }),
  /** Merge a version's platform digests into its index, under the version tag. */
  z.object({ ...head, type: z.literal('merge'), version: safe, replace, ...tail }),
  /** Point a floating tag (`tag`) at the index of `version`. */
  z.object({
    ...head, type: z.literal('tag'), version: safe, tag: z.string().regex(TAG_RE, 'not a valid tag'),
    /** The version the tag points at now, when known. */
    from: safe.optional(),
    /** The digest the tag points at now when it is no version's (so it is not absent). */
    fromDigest: digest.optional(),
    ...tail,
  }),
  /** Sign and attest a version's index. */
  z.object({ ...head, type: z.literal('attest'), version: safe, ...tail }),
  /** Delete a version outside the retention policy. */
  z.object({
    ...head, type: z.literal('prune'), version: safe,
    /** The index digest planned for deletion (apply refuses if the tag moved since). */
    digest,
    /** Bytes the registry frees (blobs no kept manifest of the app references). */
    bytes: z.number().nonnegative().optional(),
    /** Platform manifests deleted after the index (never one a kept index references). */
    manifests: z.array(digest).optional(),
    ...tail,
  }),
  /** Adopt a version the registry holds as a complete index. */
  z.object({
    ...head, type: z.literal('import'), version: safe,
    /** The index digest adopted (apply refuses if the tag moved since). */
    digest,
    ...tail,
  }),
]);

/** Per-app summary of the desired state. */
export const PlanAppSchema = z.object({
  name,
  images: z.array(name),
  /** Newest first. */
  window: z.array(safe),
  latest: safe.nullable(),
  /** Upstream tag of each window version (`10.3.1` → `v10.3.1`), for `{tag}` and checkouts at apply. */
  tags: z.record(safe, safe),
  /** Commit each tag points at, when the upstream said it. */
  commits: z.record(safe, z.string().regex(/^[0-9a-f]{7,64}$/, 'not a commit id')).optional(),
  warnings: z.array(z.string()).optional(),
});

/**
 * Where the registry and the state disagree. `moved`: a tag points elsewhere than recorded;
 * `deleted`: a recorded tag is gone; `unknown` (refresh-only): a tag mirror neither recorded nor wants.
 */
export const DriftSchema = z.object({
  address: z.string(),
  kind: z.enum(['moved', 'deleted', 'unknown']),
  /** The recorded digest; null for an unknown tag. */
  expected: digest.nullable(),
  /** The registry's digest, or null when the tag is gone. */
  actual: digest.nullable(),
});

/**
 * `mirror plan --preflight`: a version the plan builds that would fail before its build starts
 * (the source tag is missing, a patch no longer applies, a required URL does not answer).
 */
export const PreflightProblemSchema = z.object({
  /** The version (`mattermost@10.4.1`, `outline/base-outline@1.9.2`). */
  address: z.string(),
  check: z.enum(['ref', 'patch', 'url']),
  reason: z.string(),
});

/** formatVersion 1 plans. */
export const PlanSchema = z.object({
  formatVersion: z.literal(1),
  createdAt: z.string(),
  configHash: z.string().regex(DIGEST_RE, 'expected sha256:<64 hex>'),
  registry: z.string(),
  state: z.object({ lineage: z.string().uuid().nullable(), serial: z.number().int().nonnegative() }),
  refreshOnly: z.boolean().optional(),
  apps: z.array(PlanAppSchema),
  actions: z.array(ActionSchema),
  drift: z.array(DriftSchema),
  /** Actions per type; read back loosely (types.ts types it by action type, as the planner writes it). */
  summary: z.record(z.string(), z.number()),
  /** Sum of the prune actions' bytes (present when the plan prunes). */
  reclaimBytes: z.number().optional(),
  /** `--preflight` ran: what it found (empty: every version to build passed). */
  preflight: z.array(PreflightProblemSchema).optional(),
});
