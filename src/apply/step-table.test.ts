/**
 * Every action type has its step. The table's type makes a missing or mistyped entry a compile
 * error (`npm run typecheck` checks the two @ts-expect-error lines below still fail); the runtime
 * check covers a table widened by a cast.
 */
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES } from '../plan/types.js';
import { STEPS, type StepTable } from './step-table.js';

describe('step table', () => {
  it('has exactly one step per action type', () => {
    expect(Object.keys(STEPS).sort()).toEqual([...ACTION_TYPES].sort());
    for (const type of ACTION_TYPES) expect(typeof STEPS[type]).toBe('function');
  });

  it('does not compile without a step for every type, or with a step of another variant', () => {
    const { import: _import, ...withoutImport } = STEPS;
    // @ts-expect-error the import step is missing
    const missing: StepTable = withoutImport;
    // @ts-expect-error a tag step is given build actions (it reads `tag`, builds have none)
    const mistyped: StepTable = { ...STEPS, build: STEPS.tag };
    expect([missing, mistyped].map((t) => Object.keys(t).length)).toEqual([ACTION_TYPES.length - 1, ACTION_TYPES.length]);
  });
});
