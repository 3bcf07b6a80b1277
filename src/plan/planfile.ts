/** Saved plans (`plan --out`): the plan JSON itself, which carries the state serial/lineage and config hash. */
import { readFile } from 'node:fs/promises';
import { AbortError } from '../errors.js';
import { issuePath } from '../system/issue-path.js';
import { PlanSchema } from './plan-schema.js';
import type { Plan } from './types.js';
import { jsonProblem } from '../system/json-problem.js';
import { writeFileAtomic } from '../state/file-store.js';

/**
 * Write a plan file atomically (the state's temp + rename, which also removes the temp file when
 * the write or the rename fails) so a killed run never leaves half a plan. 0644: a plan holds no
 * credential and CI jobs of other users read it.
 */
export async function writePlanFile(file: string, plan: Plan): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(plan, null, 2)}\n`, 0o644);
}

/** Read a plan file; anything that is not a formatVersion 1 plan is refused naming the file. */
export async function readPlanFile(file: string): Promise<Plan> {
  let value: unknown;
  let text: string;
  try {
    // Stryker disable next-line StringLiteral: without an encoding readFile gives a Buffer, and JSON.parse reads it as UTF-8 text all the same
    text = await readFile(file, 'utf8');
  } catch (error) {
    // Stryker disable next-line StringLiteral: not reached, fs errors (and Node's argument errors) carry a code; the message is for anything else
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0];
    throw new AbortError(`Plan file ${file} cannot be read: ${why}.`, 'Run `mirror plan --out FILE` again.');
  }
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AbortError(`Plan file ${file} cannot be read: not valid JSON (${jsonProblem(error)}).`, 'Run `mirror plan --out FILE` again.');
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > 1) {
    throw new AbortError(`Plan file ${file} has formatVersion ${version}, newer than this mirror understands (1).`, 'Apply it with the mirror that made it, or make a new plan with this one: mirror plan --out FILE');
  }
  const parsed = PlanSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AbortError(`Plan file ${file} is not a mirror plan (formatVersion 1): ${issuePath(issue.path)}: ${issue.message}.`, 'Run `mirror plan --out FILE` again.');
  }
  // The checked value, with any fields a newer planner added kept as they were.
  return value as Plan;
}
