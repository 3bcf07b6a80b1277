/**
 * Ctrl-C / SIGTERM: the one signal installer (onStopSignals), and the policy of the commands that
 * do not stop cleanly by themselves (all but apply, whose run stops through system/interrupt.ts).
 * Kept apart from that module: it loads execa, which a plan must not pay for at start-up; this
 * one needs only the run dirs.
 */
import { removeRunDirsSync } from './run-dir.js';

/** The signals a run stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit code of a process stopped by a signal (128 + its number), as shells report it. */
export const SIGNAL_EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** Installed signal handlers. */
export interface StopSignals {
  /** The first signal received, if any. */
  received(): StopSignal | undefined;
  /** Remove the handlers (the default death by signal is back). */
  remove(): void;
}

/**
 * Install SIGINT/SIGTERM handlers that escalate: the n-th signal runs `stages[n-1]`; a signal after
 * the last stage means "now": the run dirs go (credentials first) and the process exits 130/143.
 */
export function onStopSignals(stages: ReadonlyArray<(signal: StopSignal) => void>): StopSignals {
  let first: StopSignal | undefined;
  let count = 0;
  const handler = (signal: StopSignal) => {
    first ??= signal;
    const stage = stages[count++];
    if (stage) { stage(signal); return; }
    removeRunDirsSync();
    process.exit(SIGNAL_EXIT_CODE[signal]);
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    received: () => first,
    remove: () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); },
  };
}

// What a command stopped by a signal finishes before it exits (a held state lock is released).
const beforeExit = new Set<() => Promise<unknown>>();
/** How long those tasks get: a lock release is one write; a hung registry must not hold the exit. */
const BEFORE_EXIT_MS = 3_000;

/** What a task resolves to when the command held nothing to release (stopped before it got the lock). */
export const NOTHING_HELD = Symbol('nothing held');

/**
 * Run `task` if the command is stopped by a signal; call the returned function once it is moot.
 * The task resolves once the lock is released, or with NOTHING_HELD when there was none to release.
 */
export function onInterruptExit(task: () => Promise<unknown>): () => void {
  beforeExit.add(task);
  return () => { beforeExit.delete(task); };
}

// Set by exec.ts when it loads (so this module never loads execa): stop the children mirror started.
let stopChildren: ((signal: NodeJS.Signals) => Promise<void>) | undefined;

/** exec.ts registers how to SIGTERM its running children (by pid) and wait briefly for them. */
export function setChildStopper(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  stopChildren = stop;
}

/**
 * Ctrl-C / SIGTERM for every command that does not stop cleanly by itself (all but apply): the
 * children mirror started (git of preflight, import's tools) get SIGTERM, the registered tasks
 * finish (at most BEFORE_EXIT_MS), the run dirs go (preflight's clones), and the last line says
 * whether the lock was released; exit 130/143. A second signal exits at once, still removing the run dirs.
 */
export function exitOnInterrupt(): void {
  onStopSignals([(signal) => {
    const tasks = [...beforeExit].map((task) => task().then((r) => (r === NOTHING_HELD ? 'none' as const : true), () => false));
    beforeExit.clear();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), BEFORE_EXIT_MS); });
    const children = stopChildren?.('SIGTERM') ?? Promise.resolve();
    const outcome = Promise.all(tasks).then((done) => (done.every((d) => d === 'none') ? 'none' as const : done.every(Boolean)));
    void Promise.all([Promise.race([outcome, limit]), children]).then(([released]) => {
      clearTimeout(timer);
      removeRunDirsSync();
      const lock = tasks.length === 0 || released === 'none' ? ''
        : released ? ': the state lock is released'
          : ': the state lock could not be released (the next run takes it over when its lease ends, or run mirror force-unlock)';
      process.stderr.write(`Interrupted${lock}.\n`);
      process.exit(SIGNAL_EXIT_CODE[signal]);
    });
  }]);
}
