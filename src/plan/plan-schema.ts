/**
 * The shape of a saved plan, checked when it is read back. A plan file is input like any other
 * (hand-edited, truncated, from another mirror): its names end up in registry URLs, `git clone
 * --branch` and state addresses, so each is held to the same grammar the planner produced it with.
 */
import { z } from 'zod';
import { ImageNameSchema as name, PlatformSchema } from '../config/schema.js';
import { DIGEST_RE, TAG_RE } from '../oci/reference.js';
import { unsafeTagReason } from './window.js';
import { ACTION_TYPES, type Action, type Drift, type Plan, type PlanApp } from './types.js';

/** Versions and upstream tags: what the window resolver lets through (no shell characters, no `..`). */
const safe = z.string().refine((s) => unsafeTagReason(s) === undefined, 'not a safe version or tag');
const digest = z.string().regex(DIGEST_RE, 'expected sha256:<64 hex>');

const ActionSchema = z.object({
  id: z.string(),
  type: z.enum(ACTION_TYPES),
  address: z.string(),
  app: name,
  image: name,
  version: safe.optional(),
  platform: PlatformSchema.optional(),
  tag: z.string().regex(TAG_RE, 'not a valid tag').optional(),
  from: safe.optional(),
  fromDigest: digest.optional(),
  digest: digest.optional(),
  bytes: z.number().nonnegative().optional(),
  manifests: z.array(digest).optional(),
  replace: z.boolean().optional(),
  reason: z.string(),
  dependsOn: z.array(z.string()),
});

const PlanAppSchema = z.object({
  name,
  images: z.array(name),
  window: z.array(safe),
  latest: safe.nullable(),
  tags: z.record(safe, safe),
  commits: z.record(safe, z.string().regex(/^[0-9a-f]{7,64}$/, 'not a commit id')).optional(),
  warnings: z.array(z.string()).optional(),
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
  drift: z.array(z.object({ address: z.string(), kind: z.enum(['moved', 'deleted', 'unknown']), expected: digest.nullable(), actual: digest.nullable() })),
  summary: z.record(z.string(), z.number()),
  reclaimBytes: z.number().optional(),
  preflight: z.array(z.object({ address: z.string(), check: z.enum(['ref', 'patch', 'url']), reason: z.string() })).optional(),
});

// types.ts declares the plan, this file checks it: a field added to one and not the other is a compile error.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Out<S extends z.ZodType> = z.output<S>;
const checks: [
  Same<Out<typeof ActionSchema>, Action>,
  Same<Out<typeof PlanAppSchema>, PlanApp>,
  Same<Out<typeof PlanSchema>['drift'][number], Drift>,
  Same<Omit<Out<typeof PlanSchema>, 'summary' | 'apps' | 'actions' | 'drift'>, Omit<Plan, 'summary' | 'apps' | 'actions' | 'drift'>>,
] = [true, true, true, true];
void checks;
