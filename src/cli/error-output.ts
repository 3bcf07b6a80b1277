/**
 * How an error reads: one sentence plus what to do next (stderr), and the same as a JSON object
 * on stdout under `--json`, so a script reading stdout gets an answer it can parse.
 */
import { Errors } from '@oclif/core';
import { AbortError, BugError } from '../errors.js';

/** An error as the user sees it. */
export interface ErrorReport {
  /** AbortError, BugError, ExternalError, ConfigError, UsageError (bad flags or arguments), Error… */
  type: string;
  message: string;
  nextSteps?: string;
}

interface ParserArg { name?: string; description?: string }

/**
 * oclif's parse errors spread their point over lines ("Missing 1 required arg:" then the argument
 * on the next); keep every line that says something, and name missing arguments as the help does.
 */
function usageMessage(error: Errors.CLIError & { args?: ParserArg[] }): string {
  const missing = Array.isArray(error.args) && /^Missing \d+ required arg/.test(error.message) ? error.args.filter((a) => a.name) : [];
  if (missing.length > 0) {
    const list = missing.map((a) => `${a.name!.toUpperCase()}${a.description ? ` (${a.description})` : ''}`).join(', ');
    return `Missing required argument${missing.length === 1 ? '' : 's'} ${list}.`;
  }
  const lines = error.message.split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help with/.test(l) && !/^The following errors? occurred:?$/.test(l));
  return lines.join(' ');
}

/** Classify an error and word it; `help` is how to get the command's help (`mirror plan --help`). */
export function reportOf(error: Error & { oclif?: { exit?: number } }, help: string): ErrorReport {
  if (error instanceof AbortError) return { type: error.name, message: error.message, nextSteps: (error as AbortError).nextSteps };
  if (error instanceof BugError) return { type: 'BugError', message: error.message, nextSteps: 'This is a bug in mirror; please report it with the output of MIRROR_DEBUG=1.' };
  if (error instanceof Errors.CLIError || error.oclif) return { type: 'UsageError', message: usageMessage(error as Errors.CLIError), nextSteps: `See \`${help}\`.` };
  return { type: error.name || 'Error', message: error.message.split('\n')[0], nextSteps: 'Run again with MIRROR_DEBUG=1 for details.' };
}

/** The stderr text of a report. */
export function reportText(report: ErrorReport): string {
  return `Error: ${report.message}${report.nextSteps ? `\n${report.nextSteps}` : ''}`;
}

/** Whether this invocation asked for JSON output (`--json` or MIRROR_JSON). */
export function wantsJson(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json') || ['1', 'true'].includes(String(env.MIRROR_JSON ?? '').toLowerCase());
}
