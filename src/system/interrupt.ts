/**
 * Ctrl-C and a cancelled CI job (GitHub sends SIGINT, then SIGTERM, then SIGKILL) during a run.
 * The first signal aborts an AbortSignal: the run starts nothing new, its builds are cancelled
 * (execa kills each child by its pid), what finished stays recorded, and the run cleans up and
 * exits 130/143 through its normal path. A second signal means "now": the registry auth file is
 * deleted at once, the children still running get SIGTERM by pid and at most HARD_EXIT_GRACE_MS
 * to take their containers down, then the run dir goes and the process exits; a third exits at once.
 * The handlers themselves are interrupt-exit.ts's onStopSignals, shared with the other commands.
 */
import { childrenSettled, killChildren } from './exec.js';
import { onStopSignals, SIGNAL_EXIT_CODE, type StopSignal } from './interrupt-exit.js';
import { removeRunDirsSync, removeSecretDirsSync } from './run-dir.js';

/** How long a hard exit gives the builds it stops to tear down their containers. */
const HARD_EXIT_GRACE_MS = 2_000;

/** An installed interrupt handler. */
export interface Interrupt {
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): StopSignal | undefined;
  /**
   * The run is over: remove the handlers, unless a signal already came. Then the process is on its
   * way out (summary, exit 130/143), and a second Ctrl-C in that window must still mean "exit now
   * with 130/143", not the default death by signal.
   */
  dispose(): void;
}

/** Install SIGINT/SIGTERM handlers for the duration of a run; `onFirst` tells the user it is stopping. */
export function handleInterrupts(onFirst?: (signal: StopSignal) => void): Interrupt {
  const controller = new AbortController();
  const signals = onStopSignals([
    (signal) => {
      onFirst?.(signal);
      controller.abort(new Error(`stopped by ${signal}`));
    },
    (signal) => {
      // The credentials go at once; the builds get SIGTERM and a short grace to take their
      // containers down (SIGKILL, or exiting under them, leaves upstream code running in runc).
      // A third signal exits at once (onStopSignals).
      removeSecretDirsSync();
      killChildren('SIGTERM');
      void childrenSettled(HARD_EXIT_GRACE_MS).finally(() => {
        removeRunDirsSync();
        process.exit(SIGNAL_EXIT_CODE[signal]);
      });
    },
  ]);
  return {
    signal: controller.signal,
    received: signals.received,
    dispose: () => {
      if (!signals.received()) signals.remove();
    },
  };
}
