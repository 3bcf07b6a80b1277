/**
 * The launcher (bin/run.js) raises V8's optimization budget before anything else loads, on the V8
 * that has that flag (Node 20): a command lives about a second, and optimizing code that is done
 * before the optimized version runs was a quarter of a plan's CPU (bench/plan). A V8 flag cannot
 * be read back, so this reads the launcher for where it is set, and runs it for what it prints: a
 * flag this V8 does not know would be an error line on stderr of every command.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mirror, ROOT } from './cli.js';

/** V8's default --interrupt-budget in Node 20 (`node --v8-options`). */
const DEFAULT_BUDGET = 67_584;

describe('launcher', () => {
  it('raises the interrupt budget (V8 < 12 only) before oclif or any command loads', async () => {
    const source = await readFile(path.join(ROOT, 'bin/run.js'), 'utf8');
    const call = /if \(Number\(process\.versions\.v8\.split\('\.'\)\[0\]\) < 12\) setFlagsFromString\('--interrupt-budget=(\d+)'\)/.exec(source);
    expect(call).not.toBeNull();
    expect(Number(call?.[1])).toBeGreaterThan(DEFAULT_BUDGET);
    expect(call?.index ?? Infinity).toBeLessThan(source.indexOf("import('@oclif/core')"));
  });

  it('prints nothing on stderr: this V8 knows every flag the launcher sets', async () => {
    for (const args of [['--version'], ['--help']]) {
      const r = await mirror(args, { cwd: ROOT });
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).toBe('');
    }
  });
});
