/**
 * Which step carries out each action type (SPEC §1 Actions): one table keyed by every action
 * type, so a type the plan schema gains without a step here does not compile. Each step gets its
 * own variant of the action (a build step sees `platform`, a prune step `digest`), never a cast.
 */
import type { Action, ActionOf, ActionType } from '../plan/types.js';
import { importStep } from './adopt.js';
import { attestStep } from './attest.js';
import type { AttestTools } from './attest-tools.js';
import type { ApplyContext } from './context.js';
import { pruneStep } from './prune.js';
import { buildStep, mergeStep, tagStep } from './steps.js';

/** A step: does the action's I/O, records it in state, resolves with the digest it produced or touched. */
export type Step<T extends ActionType> = (ctx: ApplyContext, action: ActionOf<T>, tools: AttestTools) => Promise<string>;

/** One step per action type. */
export type StepTable = { [T in ActionType]: Step<T> };

/** The steps of this mirror. */
export const STEPS: StepTable = {
  build: buildStep,
  merge: mergeStep,
  tag: tagStep,
  attest: (ctx, action, tools) => attestStep(ctx, tools, action),
  prune: pruneStep,
  import: importStep,
};

// Generic over the type so the table's entry and the action are the same variant.
function runTyped<T extends ActionType>(type: T, ctx: ApplyContext, action: ActionOf<T>, tools: AttestTools): Promise<string> {
  return STEPS[type](ctx, action, tools);
}

/** Run the step of an action (async, so anything it throws arrives as a rejection, as the executor expects). */
export async function runStep(ctx: ApplyContext, tools: AttestTools, action: Action): Promise<string> {
  return runTyped(action.type, ctx, action, tools);
}
