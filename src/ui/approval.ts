/**
 * What `mirror apply` asks before acting (SPEC §3): the registry, the state serial and lineage and
 * the scope it approves, and which answer approves it. A plan that deletes from the registry,
 * rebuilds recorded versions or overwrites drifted tags needs the word `yes` typed (Terraform's
 * rule); an additive plan keeps a single `y`. One pure module, so the Ink confirmation and the
 * plain-text prompt ask the same question.
 */
import type { Plan } from '../plan/types.js';

/** What the run is limited to (the flags of `mirror apply`). */
export interface ApprovalScope {
  targets?: string[];
  platform?: string;
  only?: string[];
}

/** The question of one apply. */
export interface Approval {
  /** `registry … · state serial 3, lineage 1a2b3c4d · scope …` */
  header: string;
  /** Why `yes` is needed (`prunes 2 versions from the registry`); empty for an additive plan. */
  destructive: string[];
  /** True when only the word `yes` approves. */
  needsYes: boolean;
  /** The line that asks. */
  question: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The scope as the flags that set it, or `all apps`. */
export function scopeText(scope: ApprovalScope): string {
  const parts = [
    ...(scope.targets ?? []).map((t) => `--target ${t}`),
    ...(scope.platform ? [`--platform ${scope.platform}`] : []),
    ...(scope.only?.length ? [`--only ${scope.only.join(',')}`] : []),
  ];
  return parts.length === 0 ? 'all apps' : parts.join(' ');
}

/** What in the plan cannot be undone by running apply again: prunes, replacements, drift repairs. */
export function destructiveParts(plan: Plan): string[] {
  const prunes = plan.actions.filter((a) => a.type === 'prune').length;
  // One merge per replaced version (its builds carry `replace` too, one per platform).
  const replaced = plan.actions.filter((a) => a.type === 'merge' && a.replace).length;
  const drifted = plan.drift.filter((d) => d.kind !== 'unknown').length;
  const parts: string[] = [];
  if (prunes > 0) parts.push(`prunes ${plural(prunes, 'version', 'versions')} from the registry`);
  if (replaced > 0) parts.push(`replaces ${plural(replaced, 'recorded version', 'recorded versions')} (--replace)`);
  if (drifted > 0) parts.push(`${plan.refreshOnly ? 'records' : 'repairs'} ${plural(drifted, 'drifted tag', 'drifted tags')}`);
  return parts;
}

/** The question for `plan` under `scope`. */
export function approvalFor(plan: Plan, scope: ApprovalScope): Approval {
  const state = plan.state.lineage ? `state serial ${plan.state.serial}, lineage ${plan.state.lineage.slice(0, 8)}` : 'no state yet';
  const destructive = destructiveParts(plan);
  const needsYes = destructive.length > 0;
  return {
    header: `registry ${plan.registry} · ${state} · scope ${scopeText(scope)}`,
    destructive,
    needsYes,
    question: needsYes
      ? `This plan ${destructive.join(', ')}. Type yes to apply: `
      : 'Apply these actions? Only "y" or "yes" applies: ',
  };
}

/** Whether `answer` approves: exactly `yes` when the plan is destructive, else `y` or `yes`. */
export function approves(answer: string, approval: Pick<Approval, 'needsYes'>): boolean {
  const a = answer.trim();
  return approval.needsYes ? a === 'yes' : /^(y|yes)$/i.test(a);
}
