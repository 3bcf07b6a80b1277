/**
 * What `mirror apply` prints once the run is over, and what it asks before: the commands only
 * hand the service's results here. The plain confirmation, the final result on stdout, the
 * `$GITHUB_STEP_SUMMARY` markdown and the `mirror-stats` line for benchmarks.
 */
import { appendFile } from 'node:fs/promises';
import type { ApplyOutcome } from '../apply/executor.js';
import type { RunLogs } from '../apply/run-logs.js';
import type { Plan } from '../plan/types.js';
import { summaryMarkdown } from './apply-lines.js';
import { resultText } from './apply-triage.js';
import { approvalFor, type ApprovalScope } from './approval.js';
import type { LiveApply } from './ink/tty.js';

/**
 * Ask before applying (SPEC §3): the question names registry, state and scope, and a destructive
 * plan needs `yes`. On a terminal the Ink view asks; with `--json` the plain prompt asks on stderr
 * (the JSON stays on stdout).
 */
export async function confirmApply(plan: Plan, scope: ApprovalScope, opts: { tty?: typeof import('./ink/tty.js'); color: boolean }): Promise<boolean> {
  const approval = approvalFor(plan, scope);
  if (opts.tty) return opts.tty.confirmPlan(plan, approval);
  const { promptApproval } = await import('./approval-prompt.js');
  return promptApproval(plan, approval, { color: opts.color });
}

/** The plan an unattended apply prints before its first action (plain, no colour: a CI log). */
export async function planBeforeActing(plan: Plan): Promise<string> {
  const { renderPlanText } = await import('./plan-text.js');
  return `${renderPlanText(plan, { color: false })}\n`;
}

/** The result of a run that applied a plan: JSON summary, the live view's end plus the scrollback, or plain text. */
export async function writeApplyResult(write: (s: string) => void, opts: { json: boolean; live?: LiveApply; outcome: ApplyOutcome; plan: Plan; logs?: RunLogs }): Promise<void> {
  const { outcome, live, logs } = opts;
  if (opts.json) write(`${JSON.stringify({ event: 'summary', ...outcome })}\n`);
  else if (live) {
    await live.finish(outcome);
    // The live frame is cut to the screen: the whole result goes to the scrollback below it.
    if (outcome.failed.length + outcome.skipped.length > 0) write(`\n${resultText(outcome, logs)}`);
  } else write(opts.plan.actions.length === 0 ? 'No changes. The registry matches the config.\n' : resultText(outcome, logs));
}

/** The step summary reads like the PR comment: the outcome, then the plan that was applied. */
export async function writeStepSummary(file: string, outcome: ApplyOutcome, plan: Plan): Promise<void> {
  const { renderPlanMarkdown } = await import('./plan-markdown.js');
  await appendFile(file, `${summaryMarkdown(outcome)}\n${renderPlanMarkdown(plan)}`);
}

/** Request counts for benchmarks and budgets (bench/ reads this line on stderr). */
export function writeStats(stats: object): void {
  process.stderr.write(`mirror-stats ${JSON.stringify(stats)}\n`);
}
