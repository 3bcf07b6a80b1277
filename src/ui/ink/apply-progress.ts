/**
 * The live apply view's model: apply events folded into one row per started (or skipped) action,
 * with the last log lines of each. Pure: the view draws it, tests feed it events.
 */
import { stripVTControlCharacters } from 'node:util';
import type { ApplyEvent, ApplyOutcome } from '../../apply/executor.js';
import type { ActionType } from '../../plan/types.js';

/** Log lines shown under a running action. */
export const LOG_TAIL = 3;
/** Log lines shown under a failed action: why it failed, without rerunning (the plain output shows 20). */
export const FAILED_LOG_TAIL = 8;

/** A log line as one screen row: no colours or cursor codes, tabs as spaces, only what a `\r` redraw left. */
function screenLine(line: string): string {
  return stripVTControlCharacters(line.split('\r').findLast((part) => part !== '') ?? '').replace(/\t/g, '  ').replace(/[\x00-\x1f\x7f]/g, '');
}

/** One action as the view shows it. */
export interface ActionRow {
  id: string;
  type: ActionType;
  address: string;
  status: 'running' | 'done' | 'failed' | 'skipped';
  /** Epoch ms the action started (skipped: when it was skipped). */
  startedAt: number;
  /** Duration once finished. */
  ms?: number;
  digest?: string;
  /** First line of the error, or why it was skipped. */
  note?: string;
  /** The last FAILED_LOG_TAIL log lines. */
  log: string[];
}

/** Everything the live view shows. */
export interface ApplyProgress {
  total: number;
  startedAt: number;
  rows: ActionRow[];
  /** Set when the run ended: the view then shows the final summary. */
  outcome?: ApplyOutcome;
}

/** A run of `total` actions starting at `now`. */
export function startProgress(total: number, now: number): ApplyProgress {
  return { total, startedAt: now, rows: [] };
}

/** Fold one event in (a new object, so React sees the change). */
export function applyEvent(p: ApplyProgress, e: ApplyEvent, now: number): ApplyProgress {
  if (e.event === 'start') {
    return { ...p, rows: [...p.rows, { id: e.id, type: e.type, address: e.address, status: 'running', startedAt: now, log: [] }] };
  }
  if (e.event === 'skipped') {
    return { ...p, rows: [...p.rows, { id: e.id, type: e.type, address: e.address, status: 'skipped', startedAt: now, note: e.reason, log: [] }] };
  }
  const rows = p.rows.map((r) => {
    if (r.id !== e.id) return r;
    if (e.event === 'log') return { ...r, log: [...r.log, screenLine(e.line)].slice(-FAILED_LOG_TAIL) };
    if (e.event === 'done') return { ...r, status: 'done' as const, ms: e.ms, digest: e.digest };
    return { ...r, status: 'failed' as const, ms: e.ms, note: e.error.split('\n')[0] };
  });
  return { ...p, rows };
}

/** The run's end. */
export function finishProgress(p: ApplyProgress, outcome: ApplyOutcome): ApplyProgress {
  return { ...p, outcome };
}

/** Counts per status. */
export function countRows(p: ApplyProgress): Record<ActionRow['status'], number> {
  const n = { running: 0, done: 0, failed: 0, skipped: 0 };
  for (const r of p.rows) n[r.status] += 1;
  return n;
}

/** `0.4s`, `12.3s`, `2m 05s`. */
export function elapsedText(elapsed: number): string {
  // A row can start a few ms after the clock's last tick: never a negative time (`-0.0s`).
  const ms = Math.max(0, elapsed);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** `[██████░░░░░░]` for `finished` of `total` in `width` cells. */
export function progressBar(finished: number, total: number, width: number): string {
  const cells = Math.max(0, width);
  const full = total === 0 ? cells : Math.round((finished / total) * cells);
  return `[${'█'.repeat(full)}${'░'.repeat(cells - full)}]`;
}

/**
 * The rows that fit in `budget` lines, in start order: running first claim their place (with
 * their log tail), then failures (with up to FAILED_LOG_TAIL log lines each, fewer when the screen
 * is short), then the newest finished; skipped ones only if room is left. `failedTail`: how many
 * log lines to draw under each failed row.
 */
export function visibleRows(p: ApplyProgress, budget: number): { rows: ActionRow[]; logs: boolean; failedTail: number; hidden: number } {
  const rank = (r: ActionRow) => (r.status === 'running' ? 0 : r.status === 'failed' ? 1 : r.status === 'done' ? 2 : 3);
  const ordered = p.rows.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || b.i - a.i);
  const running = p.rows.filter((r) => r.status === 'running');
  const failed = p.rows.filter((r) => r.status === 'failed');
  const logLines = running.reduce((n, r) => n + Math.min(LOG_TAIL, r.log.length), 0);
  const logs = running.length + logLines < budget;
  // What is left once running rows, their logs, failed rows and a "… N more" line have their place.
  const spare = budget - running.length - (logs ? logLines : 0) - failed.length - 1;
  const failedTail = failed.length === 0 ? 0 : Math.max(0, Math.min(FAILED_LOG_TAIL, Math.floor(spare / failed.length)));
  const failedLines = failed.reduce((n, r) => n + Math.min(failedTail, r.log.length), 0);
  let left = budget - (logs ? logLines : 0) - failedLines;
  const keep = new Set<number>();
  for (const { i } of ordered) {
    // Keep one line for "… N more" when something will be hidden.
    const reserve = keep.size + 1 < p.rows.length ? 1 : 0;
    if (left - reserve <= 0) break;
    keep.add(i);
    left -= 1;
  }
  return { rows: p.rows.filter((_, i) => keep.has(i)), logs, failedTail, hidden: p.rows.length - keep.size };
}
