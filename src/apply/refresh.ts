/**
 * `apply --refresh-only`: accept the registry's truth into the state (Terraform's refresh-only
 * apply). Moved tags take the registry's digest, deleted ones leave the state; unknown tags are
 * reported by the plan but not adopted (that is `mirror import`). Pure: state in, state out.
 */
import type { Drift } from '../plan/types.js';
import type { HistoryEvent, State } from '../state/types.js';

/** The state after recording the drift, with one `refresh` history event per change. */
export function recordRefresh(state: State, drift: Drift[], who: string, now = new Date()): { state: State; changed: string[] } {
  const time = now.toISOString();
  const resources = { ...state.resources };
  const history: HistoryEvent[] = [...state.history];
  const changed: string[] = [];
  for (const d of drift) {
    const rec = resources[d.address];
    if (d.kind === 'unknown' || !rec || rec.digest !== d.expected) continue;
    if (d.kind === 'deleted' || d.actual === null) {
      delete resources[d.address];
      history.push({ time, who, operation: 'apply --refresh-only', action: 'refresh', address: d.address, previous: d.expected });
    } else {
      // The index now behind the tag is not one mirror made: its platforms and sizes are unknown.
      const { platforms: _p, size: _s, mediaType: _m, ...rest } = rec;
      resources[d.address] = { ...rest, digest: d.actual, updatedAt: time };
      history.push({ time, who, operation: 'apply --refresh-only', action: 'refresh', address: d.address, previous: d.expected, digest: d.actual });
    }
    changed.push(d.address);
  }
  return { state: { ...state, resources, history }, changed };
}
