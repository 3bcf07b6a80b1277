/** The one duration syntax of flags and env vars (`--lock-timeout 30s`, `MIRROR_LOCK_TIMEOUT=2m`). */
import { AbortError } from '../errors.js';

/** `500ms`, `30s`, `2m`, `1h`, or plain seconds → milliseconds; flags and env vars share one syntax. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new AbortError(`"${text}" is not a duration.`, 'Use a number with a unit: 500ms, 30s, 2m, 1h.');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}
