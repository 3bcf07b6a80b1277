/**
 * Ctrl-C / SIGTERM for the commands that do not stop cleanly by themselves (all but apply, whose
 * run stops through system/interrupt.ts). Kept apart from that module: it loads execa, which a
 * plan must not pay for at start-up; this one needs only the run dirs.
 */
import { removeRunDirsSync } from './run-dir.js';

/** The signals a run stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit code of a process stopped by a signal (128 + its number), as shells report it. */
export const SIGNAL_EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

// What a command stopped by a signal finishes before it exits (a held state lock is released).
const beforeExit = new Set<() => Promise<unknown>>();
/** How long those tasks get: a lock release is one write; a hung registry must not hold the exit. */
const BEFORE_EXIT_MS = 3_000;

/** Run `task` if the command is stopped by a signal; call the returned function once it is moot. */
export function onInterruptExit(task: () => Promise<unknown>): () => void {
  beforeExit.add(task);
  return () => { beforeExit.delete(task); };
}

/**
 * Ctrl-C / SIGTERM for every command that does not stop cleanly by itself (all but apply): finish
 * the registered tasks (at most BEFORE_EXIT_MS), remove the run dirs (preflight's clones), say so
 * and exit 130/143. A second signal exits at once, still removing the run dirs.
 */
export function exitOnInterrupt(): void {
  let stopping = false;
  const handler = (signal: StopSignal) => {
    if (stopping) {
      removeRunDirsSync();
      process.exit(SIGNAL_EXIT_CODE[signal]);
    }
    stopping = true;
    const tasks = [...beforeExit].map((task) => task().catch(() => undefined));
    beforeExit.clear();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => { timer = setTimeout(resolve, BEFORE_EXIT_MS); });
    void Promise.race([Promise.all(tasks), limit]).finally(() => {
      clearTimeout(timer);
      removeRunDirsSync();
      process.stderr.write(`Interrupted${tasks.length > 0 ? ': the state lock is released' : ''}.\n`);
      process.exit(SIGNAL_EXIT_CODE[signal]);
    });
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
