/**
 * The launcher (bin/run.js) raises V8's optimization budget before anything else loads: a command
 * lives about a second, and optimizing code that is done before the optimized version runs was a
 * quarter of a plan's CPU (bench/plan). There is no API to read a V8 flag back, so this reads the
 * launcher: the call must come before the first import of @oclif/core and raise the budget.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli.js';

/** V8's default --interrupt-budget in Node 20 (`node --v8-options`). */
const DEFAULT_BUDGET = 67_584;

describe('launcher', () => {
  it('raises the interrupt budget before oclif or any command loads', async () => {
    const source = await readFile(path.join(ROOT, 'bin/run.js'), 'utf8');
    const call = /setFlagsFromString\('--interrupt-budget=(\d+)'\)/.exec(source);
    expect(call).not.toBeNull();
    expect(Number(call?.[1])).toBeGreaterThan(DEFAULT_BUDGET);
    expect(call?.index ?? Infinity).toBeLessThan(source.indexOf("import('@oclif/core')"));
  });
});
