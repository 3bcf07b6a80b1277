/** Retention wording shared by the plan renderers: bytes in human units, what a prune frees. */
import type { Action, Plan } from '../plan/types.js';

const UNITS = ['kB', 'MB', 'GB', 'TB', 'PB'];

/** `512 B`, `12.3 MB` (decimal units, as docker and registries' UIs show sizes). */
export function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < UNITS.length - 1) { value /= 1000; unit += 1; }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** An action's reason, with what a prune frees. */
export function reasonText(action: Action): string {
  return action.type === 'prune' && action.bytes ? `${action.reason}; frees ${humanBytes(action.bytes)}` : action.reason;
}

/** ` (frees 12.3 MB)` after the prune count of the summary line, or nothing. */
export function freesText(plan: Plan): string {
  return plan.reclaimBytes ? ` (frees ${humanBytes(plan.reclaimBytes)})` : '';
}
