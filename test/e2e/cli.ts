/** Runs the built CLI (`bin/run.js`) as a user would: a child process, a working directory, an environment. */
import path from 'node:path';
import { execa } from 'execa';

/** Repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** What a CLI run printed and returned. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run `mirror ARGS` in cwd with a clean, explicit environment (no GITHUB_TOKEN leaking in from the host). */
export async function mirror(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  const result = await execa(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...opts.env },
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
}
