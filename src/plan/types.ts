/**
 * The plan is plain data (SPEC §4, Terraform's rule: one plan, many renderers). Every human view
 * and `--json` are drawn from this versioned shape. The shape is written once, as the zod schema
 * that checks saved plans (plan-schema.ts); the types here are inferred from it.
 */
import type { z } from 'zod';
import type { ActionSchema, DriftSchema, PlanAppSchema, PlanSchema, PreflightProblemSchema } from './plan-schema.js';

/** One step of the plan: a union discriminated by `type`, each variant with exactly its fields. */
export type Action = z.output<typeof ActionSchema>;
/** What an action does. */
export type ActionType = Action['type'];
/** The variant of one action type (`ActionOf<'tag'>` has `tag`, `from`, `fromDigest`). */
export type ActionOf<T extends ActionType> = Extract<Action, { type: T }>;

// A Record, so an action type the schema gains and this list lacks does not compile.
const SUMMARY_ORDER: Record<ActionType, null> = { build: null, merge: null, tag: null, attest: null, prune: null, import: null };
/** Action types, in the order summaries list them (SPEC §4 `summary`). */
export const ACTION_TYPES = Object.keys(SUMMARY_ORDER) as readonly ActionType[];

/** How many actions of each type: the plan's `summary`, and every per-app count the views show. */
export function countByType(actions: readonly { type: ActionType }[]): Record<ActionType, number> {
  const counts = Object.fromEntries(ACTION_TYPES.map((t) => [t, 0])) as Record<ActionType, number>;
  for (const a of actions) counts[a.type] += 1;
  return counts;
}

/**
 * Where the registry and the state disagree. `moved`: a tag points elsewhere than recorded;
 * `deleted`: a recorded tag is gone; `unknown` (refresh-only): a tag mirror neither recorded nor wants.
 */
export type Drift = z.output<typeof DriftSchema>;

/** `mirror plan --preflight`: a version the plan builds that would fail before its build starts. */
export type PreflightProblem = z.output<typeof PreflightProblemSchema>;

/** Per-app summary of the desired state. */
export type PlanApp = z.output<typeof PlanAppSchema>;

/** The plan (formatVersion 1); `summary` counts every action type, as the planner writes it. */
export type Plan = Omit<z.output<typeof PlanSchema>, 'summary'> & { summary: Record<ActionType, number> };
