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
