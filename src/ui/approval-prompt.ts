/**
 * The plain-text confirmation (`mirror apply --json` on a terminal): the plan and the question go
 * to stderr so stdout stays JSON; the answer is read from stdin and judged by `approves`.
 */
import { createInterface } from 'node:readline/promises';
import type { Plan } from '../plan/types.js';
import { approves, type Approval } from './approval.js';
import { renderPlanText } from './plan-text.js';

/** Show `plan` with its approval header on `output`, ask, and resolve whether the answer approves. */
export async function promptApproval(plan: Plan, approval: Approval, opts: { color: boolean; input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream }): Promise<boolean> {
  const output = opts.output ?? process.stderr;
  output.write(`${approval.header}\n\n${renderPlanText(plan, { color: opts.color })}`);
  const rl = createInterface({ input: opts.input ?? process.stdin, output });
  try {
    return approves(await rl.question(`\n${approval.question}`), approval);
  } finally {
    rl.close();
  }
}
