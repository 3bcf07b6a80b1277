/** Saved plans (`plan --out`): the plan JSON itself, which carries the state serial/lineage and config hash. */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { AbortError } from '../errors.js';
import type { Plan } from './types.js';

/** Write a plan file atomically (temp + rename) so a killed run never leaves half a plan. */
export async function writePlanFile(file: string, plan: Plan): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, file);
}

/** Read a plan file; anything that is not a formatVersion 1 plan is refused naming the file. */
export async function readPlanFile(file: string): Promise<Plan> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AbortError(`Plan file ${file} cannot be read: ${(error as Error).message.split('\n')[0]}.`, 'Run `mirror plan --out FILE` again.');
  }
  const plan = value as Partial<Plan>;
  if (!plan || plan.formatVersion !== 1 || !Array.isArray(plan.actions) || typeof plan.configHash !== 'string') {
    throw new AbortError(`Plan file ${file} is not a mirror plan (formatVersion 1).`, 'Run `mirror plan --out FILE` again.');
  }
  return plan as Plan;
}
