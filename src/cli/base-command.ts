/**
 * Base of every command: the one place errors become exit codes and one clear sentence on stderr
 * (a stack only with MIRROR_DEBUG=1). Commands stay thin: parse flags, call one service, render.
 */
import { Command, Errors } from '@oclif/core';
import { AbortError, BugError } from '../errors.js';

/** Shared behaviour of mirror commands. */
export abstract class BaseCommand extends Command {
  /** Print one clear sentence plus next steps; exit code 1. */
  protected async catch(error: Error & { oclif?: { exit?: number } }): Promise<void> {
    if (error instanceof Errors.ExitError) throw error;
    const debug = process.env.MIRROR_DEBUG === '1';
    let text: string;
    if (error instanceof AbortError) {
      const { nextSteps } = error as AbortError;
      text = `Error: ${error.message}${nextSteps ? `\n${nextSteps}` : ''}`;
    } else if (error instanceof BugError) {
      text = `Error: ${error.message}\nThis is a bug in mirror; please report it with the output of MIRROR_DEBUG=1.`;
    } else if (error instanceof Errors.CLIError || error.oclif) {
      text = `Error: ${error.message.split('\n')[0]}\nSee \`${this.config.bin} ${this.id?.replace(/:/g, ' ') ?? ''} --help\`.`;
    } else {
      text = `Error: ${error.message.split('\n')[0]}\nRun again with MIRROR_DEBUG=1 for details.`;
    }
    process.stderr.write(`${text}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}

/** Whether stdout is an interactive terminal and colour is wanted. */
export function useColor(noColorFlag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (noColorFlag || process.env.NO_COLOR || process.env.MIRROR_NO_COLOR) return false;
  return Boolean(stream.isTTY) || process.env.FORCE_COLOR === '1';
}

/** Whether both ends are a terminal a person can answer (the Ink views need keys and a screen). */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.TERM !== 'dumb';
}

/**
 * The Ink views, loaded on demand: only the terminal path pays for Ink and React. Ink's colour
 * library reads FORCE_COLOR when it loads, so `--no-color` is applied before the import.
 */
export async function loadInk(noColorFlag: boolean | undefined): Promise<typeof import('../ui/ink/tty.js')> {
  if (!useColor(noColorFlag)) process.env.FORCE_COLOR = '0';
  return import('../ui/ink/tty.js');
}
