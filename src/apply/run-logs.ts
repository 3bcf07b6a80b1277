/**
 * Each action's full log of one apply run, kept under `.mirror/logs/<run-id>/<action>.log`: the
 * live view and CI lines show only a tail, and a failed build's cause is often further up. Fed the
 * same events as the views (log lines are already redacted by the apply service); a file is
 * created only for an action that logged something or failed.
 */
import { createWriteStream, mkdirSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { ApplyEvent } from './executor.js';

/** Log lines kept in memory per action, for the result printed at the end. */
export const RUN_LOG_TAIL = 8;

/** `2026-11-30T01-08-00Z-3f9a`: sortable, unique enough for one machine, safe in a path. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-${Math.random().toString(16).slice(2, 6)}`;
}

/** How many runs' logs stay under `.mirror/logs` (a cron job must not fill the disk). */
export const RUN_LOGS_KEPT = 20;
/** A run younger than this is never pruned: it may still be writing (another config's apply in the same directory). */
const RUN_LOGS_MIN_AGE_MS = 24 * 60 * 60 * 1000;

const RUN_ID = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z-[0-9a-f]{1,4}$/;

/** When a run id says the run started. */
function startedAt(name: string): number {
  const m = RUN_ID.exec(name);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : Number.NaN;
}

/**
 * Remove the oldest run directories under `root` so at most `keep` remain (run ids sort by time),
 * sparing runs started within the last day. Only names that are run ids: whatever else someone
 * keeps there is not ours to delete.
 */
export function pruneRunLogs(root: string, keep = RUN_LOGS_KEPT, now = Date.now()): string[] {
  let names: string[];
  try { names = readdirSync(root); } catch { return []; }
  const runs = names.filter((n) => RUN_ID.test(n)).sort();
  const old = runs.slice(0, Math.max(0, runs.length - keep)).filter((n) => now - startedAt(n) > RUN_LOGS_MIN_AGE_MS);
  for (const n of old) {
    try { rmSync(path.join(root, n), { recursive: true, force: true }); } catch { /* left for the next run */ }
  }
  return old;
}

/** `build:mattermost@10.4.1/linux/arm64` → `build_mattermost@10.4.1_linux_arm64.log` (one file name, no directories). */
export function logFileName(actionId: string): string {
  return `${actionId.replace(/[^A-Za-z0-9@._-]+/g, '_').replace(/^\.+/, '_')}.log`;
}

/** The logs of one run. */
export interface RunLogs {
  /** The run's directory (`.mirror/logs/<run-id>`). */
  dir: string;
  record(event: ApplyEvent): void;
  /** The log file of an action, if one was written. */
  file(actionId: string): string | undefined;
  /** The action's last RUN_LOG_TAIL log lines. */
  tail(actionId: string): string[];
  /** Flush and close every file; false if some line could not be written. */
  close(): Promise<boolean>;
}

/** Keep the logs of a run under `root/<runId>`. */
export function createRunLogs(root: string, runId = newRunId()): RunLogs {
  const dir = path.join(root, runId);
  const streams = new Map<string, WriteStream>();
  const tails = new Map<string, string[]>();
  let failedToWrite = false;
  const stream = (id: string): WriteStream | undefined => {
    let s = streams.get(id);
    if (!s) {
      if (failedToWrite && streams.size === 0) return undefined;
      // Once, synchronously: the stream opens its file right away and the directory must be there.
      try {
        if (streams.size === 0) {
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          // This run's directory is the newest: the oldest beyond RUN_LOGS_KEPT go.
          pruneRunLogs(root);
        }
      } catch {
        failedToWrite = true;
        return undefined;
      }
      s = createWriteStream(path.join(dir, logFileName(id)), { flags: 'a', mode: 0o600 });
      // A full disk must not fail the apply: the views still show the tails.
      s.on('error', () => { failedToWrite = true; });
      streams.set(id, s);
    }
    return s;
  };
  return {
    dir,
    record(e) {
      if (e.event === 'log') {
        tails.set(e.id, [...(tails.get(e.id) ?? []), e.line].slice(-RUN_LOG_TAIL));
        stream(e.id)?.write(`${e.line}\n`);
      } else if (e.event === 'failed') {
        stream(e.id)?.write(`mirror: ${e.address} failed after ${(e.ms / 1000).toFixed(1)}s: ${e.error}\n`);
      }
    },
    file: (id) => (streams.has(id) ? path.join(dir, logFileName(id)) : undefined),
    tail: (id) => tails.get(id) ?? [],
    close: async () => {
      await Promise.all([...streams.values()].map((s) => new Promise<void>((resolve) => { s.on('error', () => resolve()); s.end(() => resolve()); })));
      return !failedToWrite;
    },
  };
}
