/**
 * Feedback while the plan reads upstreams and the registry (a slow upstream otherwise leaves the
 * screen blank for seconds). On a terminal: one line on stderr, redrawn in place and cleared when
 * the reads end. In CI (CI=true or GitHub Actions, stderr not a terminal): a plain line per app, so
 * the job log shows what it is waiting on without a line per request. Pipes elsewhere stay quiet.
 * Plain text only: `--json` and CI paths must not load Ink.
 */
import type { ObserveProgress } from '../plan/observe/observe.js';
import { inCi } from './ci.js';

/** What a progress line is written to (process.stderr in the CLI; a fake in tests). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** A progress reporter: feed it observe's progress, then end it before printing anything else. */
export interface PlanProgress {
  progress?: (p: ObserveProgress) => void;
  end(): void;
}

/** `Reading upstream 37/200 apps, registry 120/200 repositories…` */
export function progressLine(p: ObserveProgress): string {
  return `Reading upstream ${p.upstreamDone}/${p.apps} apps, registry ${p.registryDone}/${p.repositories} repositories…`;
}

// Redraws at most this often: a large plan finishes hundreds of reads a second.
const REDRAW_MS = 100;

/** The reporter for `stream` (stderr) in `env`. */
export function createPlanProgress(stream: ProgressStream, env: NodeJS.ProcessEnv, now: () => number = Date.now): PlanProgress {
  if (stream.isTTY && env.TERM !== 'dumb') {
    let shown = false;
    let last = -Infinity;
    return {
      progress: (p) => {
        if (now() - last < REDRAW_MS && p.upstreamDone + p.registryDone < p.apps + p.repositories) return;
        last = now();
        // One row only: a line longer than the screen would wrap, and \r would then redraw just its tail.
        const width = Math.max(10, (stream.columns || 80) - 1);
        const line = progressLine(p);
        stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        shown = true;
      },
      end: () => { if (shown) stream.write('\r\x1b[2K'); shown = false; },
    };
  }
  if (inCi(env)) {
    return {
      progress: (p) => { if (p.finished) stream.write(`Read ${p.finished} (${p.appsDone}/${p.apps} apps)\n`); },
      end: () => undefined,
    };
  }
  return { end: () => undefined };
}
