/**
 * Ctrl-C and a cancelled CI job (GitHub sends SIGINT, then SIGTERM, then SIGKILL) during a run.
 * The first signal aborts an AbortSignal: the run starts nothing new, its builds are cancelled
 * (execa kills each child by its pid), what finished stays recorded, and the run cleans up and
 * exits 130/143 through its normal path. A second signal means "now": the registry auth file is
 * deleted at once, the children still running get SIGTERM by pid and at most HARD_EXIT_GRACE_MS
 * to take their containers down, then the run dir goes and the process exits; a third exits at once. This is the one place besides oclif that exits the process.
 */
import { childrenSettled, killChildren } from './exec.js';
import { SIGNAL_EXIT_CODE, type StopSignal } from './interrupt-exit.js';
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
  let first: StopSignal | undefined;
  let hard = false;
  const handler = (signal: StopSignal) => {
    if (hard) {
      // A third signal: out now.
      removeRunDirsSync();
      process.exit(SIGNAL_EXIT_CODE[signal]);
    }
    if (first) {
      // The credentials go at once; the builds get SIGTERM and a short grace to take their
      // containers down (SIGKILL, or exiting under them, leaves upstream code running in runc).
      hard = true;
      removeSecretDirsSync();
      killChildren('SIGTERM');
      void childrenSettled(HARD_EXIT_GRACE_MS).finally(() => {
        removeRunDirsSync();
        process.exit(SIGNAL_EXIT_CODE[signal]);
      });
      return;
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
    dispose: () => {
      if (first) return;
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

