/** One plan, three renderings (`plan` and `show` share them); the text and markdown modules load only when used. */
import type { Plan } from '../plan/types.js';

/** Output formats of `plan` and `show`. */
export type PlanFormat = 'text' | 'markdown' | 'json';

/** Render a plan in a format. */
export async function renderPlan(plan: Plan, format: PlanFormat, opts: { color?: boolean } = {}): Promise<string> {
  if (format === 'json') return `${JSON.stringify(plan, null, 2)}\n`;
  if (format === 'markdown') return (await import('./plan-markdown.js')).renderPlanMarkdown(plan);
  return (await import('./plan-text.js')).renderPlanText(plan, opts);
}

/** What `plan --out FILE` says on stderr: where the plan went and the command that applies exactly it. */
export function savedPlanText(file: string, plan: Plan): string {
  return plan.actions.length === 0
    ? `Saved the plan to ${file}; it has no changes, so there is nothing to apply.\n`
    : `Saved the plan to ${file}. To apply exactly this plan: mirror apply ${file}\n`;
}
