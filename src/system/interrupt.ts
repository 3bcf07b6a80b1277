/**
 * Ctrl-C and a cancelled CI job (GitHub sends SIGINT, then SIGTERM, then SIGKILL) during a run.
 * The first signal aborts an AbortSignal: the run starts nothing new, its builds are cancelled
 * (execa kills each child by its pid), what finished stays recorded, and the run cleans up and
 * exits 130/143 through its normal path. A second signal means "now": the children still running
 * get SIGKILL by pid and the process exits at once; the run dir (with the registry auth file)
 * goes with it through its `exit` hook. This is the one place besides oclif that exits the process.
 */
import { killChildren } from './exec.js';
import { removeRunDirsSync } from './run-dir.js';

/** The signals a run stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit code of a process stopped by a signal (128 + its number), as shells report it. */
export const SIGNAL_EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** An installed interrupt handler. */
export interface Interrupt {
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): StopSignal | undefined;
  /** Remove the handlers (the run is over). */
  dispose(): void;
}

/** Install SIGINT/SIGTERM handlers for the duration of a run; `onFirst` tells the user it is stopping. */
export function handleInterrupts(onFirst?: (signal: StopSignal) => void): Interrupt {
  const controller = new AbortController();
  let first: StopSignal | undefined;
  const handler = (signal: StopSignal) => {
    if (first) {
      killChildren('SIGKILL');
      removeRunDirsSync();
      process.exit(SIGNAL_EXIT_CODE[signal]);
    }
    first = signal;
    onFirst?.(signal);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => first,
    dispose: () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); },
  };
}
