/** Saved plans: written atomically, read back exactly, and anything else refused naming the file. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { smallPlan } from '../../test/fixtures/plans.js';
import { AbortError } from '../errors.js';
import { readPlanFile, writePlanFile } from './planfile.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'mirror-planfile-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const refusal = async (file: string) => {
  const err = await readPlanFile(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AbortError);
  return err as AbortError;
};

describe('plan files', () => {
  it('round-trips a plan, keeps unknown fields, and leaves no temp file behind', async () => {
    const file = path.join(dir, 'plan.json');
    const plan = { ...smallPlan(), addedByANewerPlanner: { x: 1 } };
    await writePlanFile(file, plan);
    expect(await readPlanFile(file)).toEqual(plan);
    expect(await readdir(dir)).toEqual(['plan.json']);
  });

  it('refuses a missing file, non-JSON, a newer formatVersion and a non-plan, naming the file', async () => {
    const missing = await refusal(path.join(dir, 'nope.json'));
    expect(missing.message).toBe(`Plan file ${path.join(dir, 'nope.json')} cannot be read: ENOENT.`);
    expect(missing.nextSteps).toBe('Run `mirror plan --out FILE` again.');

    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"formatVersion": 1,');
    expect((await refusal(broken)).message).toMatch(new RegExp(`^Plan file ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be read: not valid JSON \\(.+\\)\\.$`));

    const newer = path.join(dir, 'newer.json');
    await writeFile(newer, JSON.stringify({ ...smallPlan(), formatVersion: 2 }));
    const n = await refusal(newer);
    expect(n.message).toBe(`Plan file ${newer} has formatVersion 2, newer than this mirror understands (1).`);
    expect(n.nextSteps).toMatch(/^Apply it with the mirror that made it/);

    const other = path.join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...smallPlan(), actions: 'none' }));
    expect((await refusal(other)).message).toMatch(new RegExp(`^Plan file .*other\\.json is not a mirror plan \\(formatVersion 1\\): actions: .+\\.$`));
    await writeFile(other, 'null');
    expect((await refusal(other)).message).toMatch(/is not a mirror plan \(formatVersion 1\): /);
  });

  it('every refusal of a file this mirror cannot use says to make the plan again', async () => {
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{');
    expect((await refusal(broken)).nextSteps).toBe('Run `mirror plan --out FILE` again.');
    const other = path.join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...smallPlan(), actions: 'none' }));
    expect((await refusal(other)).nextSteps).toBe('Run `mirror plan --out FILE` again.');
  });

  it('a formatVersion that is not a number is not a plan, not a newer one ("2" > 1 in JavaScript)', async () => {
    const file = path.join(dir, 'text-version.json');
    await writeFile(file, JSON.stringify({ ...smallPlan(), formatVersion: '2' }));
    expect((await refusal(file)).message).toMatch(/is not a mirror plan \(formatVersion 1\): formatVersion: /);
  });

  it('a write that cannot land (the path is a directory) leaves no temp file behind', async () => {
    const target = path.join(dir, 'plan.json');
    await mkdir(target);
    await expect(writePlanFile(target, smallPlan())).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['plan.json']);
  });
});
