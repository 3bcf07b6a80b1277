/** A saved plan is applied only against the state and config it was made from (Terraform's stale-plan rule). */
import { AbortError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { planId } from '../plan/plan-id.js';
import type { State } from '../state/types.js';

/** The config part of freshness (all a build runner without the shared state can check). */
export function assertSameConfig(plan: Plan, configHash: string, file: string): void {
  if (plan.configHash !== configHash) {
    throw new AbortError(`Saved plan ${file} is stale: the config changed since it was made (${plan.configHash.slice(0, 19)}… → ${configHash.slice(0, 19)}…).`, `Make a new plan: mirror plan --out ${file}`);
  }
}

/** Throw, saying exactly what moved, when the plan no longer matches state or config. */
export function assertFresh(plan: Plan, state: State | undefined, configHash: string, file: string): void {
  const redo = `Make a new plan: mirror plan --out ${file}`;
  assertSameConfig(plan, configHash, file);
  const lineage = state?.lineage ?? null;
  if (plan.state.lineage !== null && plan.state.lineage !== lineage) {
    throw new AbortError(`Saved plan ${file} is stale: it was made for state lineage ${plan.state.lineage}, the state file is ${lineage ?? 'absent'}.`, redo);
  }
  const serial = state?.serial ?? 0;
  if (serial !== plan.state.serial) {
    // Stryker disable next-line ArrayDeclaration: an element without a time is filtered out at once
    const since = (state?.history ?? []).filter((e) => e.time > plan.createdAt);
    // Folding this plan's own build fragments in (the CI matrix) does not make it stale.
    const id = planId(plan);
    const builds = new Set(plan.actions.filter((a) => a.type === 'build').map((a) => a.address));
    const onlyOwnBuilds = since.length > 0 && since.every((e) => e.plan === id && builds.has(e.address));
    // Stryker disable next-line EqualityOperator: inside serial !== plan.state.serial, > and >= agree
    if (serial > plan.state.serial && onlyOwnBuilds) return;
    const moved = [...new Set(since.map((e) => e.address))];
    const which = moved.length > 0 ? `; changed since: ${moved.slice(0, 5).join(', ')}${moved.length > 5 ? ` and ${moved.length - 5} more` : ''}` : '';
    throw new AbortError(`Saved plan ${file} is stale: the state moved from serial ${plan.state.serial} to ${serial} since it was made${which}.`, redo);
  }
}
