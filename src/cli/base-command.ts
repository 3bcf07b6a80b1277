/**
 * Base of every command: the one place errors become exit codes and one clear sentence on stderr
 * (a stack only with MIRROR_DEBUG=1). Commands stay thin: parse flags, call one service, render.
 */
import { Command, Errors } from '@oclif/core';
import { exitOnInterrupt } from '../system/interrupt-exit.js';
import { reportOf, reportText, wantsJson } from './error-output.js';

/** Shared behaviour of mirror commands. */
export abstract class BaseCommand extends Command {
  /** A command that stops cleanly on Ctrl-C by itself (apply) sets this; every other one gets exitOnInterrupt(). */
  protected static handlesInterrupts = false;

  /** Every command cleans up on Ctrl-C / SIGTERM: lock released, temp dirs gone, exit 130/143. */
  async init(): Promise<void> {
    await super.init();
    if (!(this.constructor as typeof BaseCommand).handlesInterrupts) exitOnInterrupt();
  }

  /** Print one clear sentence plus next steps (and, under --json, the same as a JSON object on stdout); exit code 1. */
  protected async catch(error: Error & { oclif?: { exit?: number } }): Promise<void> {
    if (error instanceof Errors.ExitError) throw error;
    const report = reportOf(error, `${this.config.bin} ${this.id?.replace(/:/g, ' ') ?? ''} --help`);
    if (wantsJson(this.argv)) process.stdout.write(`${JSON.stringify({ error: report })}\n`);
    process.stderr.write(`${reportText(report)}\n`);
    if (process.env.MIRROR_DEBUG === '1' && error.stack) process.stderr.write(`${error.stack}\n`);
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
