/**
 * What users expect of a CLI: `mirror help plan`, a suggestion for a mistyped command, shell
 * completion, errors that name the missing argument, and errors as JSON on stdout under --json.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTerminal } from '../rig/tmux.js';
import { mirror, ROOT } from './cli.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'mirror-cli-')); });
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

describe('mirror help', () => {
  it('help lists the commands and help plan shows the plan command (as --help does)', async () => {
    const all = await mirror(['help'], { cwd: dir });
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^ {2}plan +Show what apply would build/m);
    expect(all.stdout).toMatch(/^ {2}state +Inspect and change the state file\./m);
    const plan = await mirror(['help', 'plan'], { cwd: dir });
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('$ mirror plan ');
    expect(plan.stdout).toBe((await mirror(['plan', '--help'], { cwd: dir })).stdout);
    expect((await mirror(['help', 'state', 'show'], { cwd: dir })).stdout).toContain('$ mirror state show');
  });

  it('a mistyped command says it is not a mirror command and points to help (exit 127)', async () => {
    const r = await mirror(['plna'], { cwd: dir });
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('plna is not a mirror command.');
    expect(r.stderr).toContain('Run mirror help for a list of available commands.');
  });

  it('on a terminal it asks "did you mean" and runs the suggestion when confirmed', async () => {
    const t = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'valdate', '--config', 'none.json'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir } });
    try {
      await t.waitFor(/Did you mean validate\?/);
      await t.keys('y', 'Enter');
      // validate ran (and said what it said about the missing file)
      expect(await t.waitFor('[exit 1]')).toMatch(/Error: .*none\.json/);
    } finally { await t.kill(); }
  });
});

describe('shell completion', () => {
  it('mirror autocomplete bash sets up a completion function that completes commands and flags', async () => {
    const cache = path.join(dir, 'cache');
    const env = { XDG_CACHE_HOME: cache, HOME: dir };
    const r = await mirror(['autocomplete', 'bash'], { cwd: dir, env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('mirror autocomplete script bash');
    // Given the completion script bash would source, when completing "mirror pl" and "mirror plan --det"
    const setup = path.join(cache, 'mirror', 'autocomplete', 'bash_setup');
    const complete = async (words: string[]) => (await execa('bash', ['-c',
      `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; _mirror_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'complete', setup, ...words])).stdout.split('\n');
    expect(await complete(['mirror', 'pl'])).toEqual(['plan']);
    expect(await complete(['mirror', 'plan', '--det'])).toEqual(['--detailed-exitcode']);
  });
});

describe('errors', () => {
  it('a missing argument is named, with what it is', async () => {
    const r = await mirror(['force-unlock'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('Error: Missing required argument LOCK_ID (lock ID, as printed by the command that found it locked).\nSee `mirror force-unlock --help`.');
    expect(r.stdout).toBe('');
  });

  it('under --json an error is one JSON object on stdout (the sentence stays on stderr)', async () => {
    const missing = await mirror(['plan', '--json'], { cwd: dir });
    expect(missing.exitCode).toBe(1);
    const report = JSON.parse(missing.stdout);
    expect(report).toEqual({ error: { type: 'AbortError', message: expect.stringMatching(/^No mirror config found in /), nextSteps: 'Run `mirror init` to scaffold one, or pass --config FILE.' } });
    expect(missing.stderr).toMatch(/^Error: No mirror config found in /);
    // Usage errors too, and MIRROR_JSON counts like --json
    const usage = await mirror(['state', 'show', '--bogus'], { cwd: dir, env: { MIRROR_JSON: '1' } });
    expect(JSON.parse(usage.stdout)).toEqual({ error: { type: 'UsageError', message: 'Nonexistent flag: --bogus', nextSteps: 'See `mirror state show --help`.' } });
  });
});
