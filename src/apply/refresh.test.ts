import { describe, expect, it } from 'vitest';
import type { State } from '../state/types.js';
import { recordRefresh } from './refresh.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const base: State = {
  formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 3, history: [],
  resources: {
    'mm@1.0.0': { type: 'index', app: 'mm', image: 'mm', version: '1.0.0', digest: D(1), platforms: ['linux/amd64'], createdAt: 't', updatedAt: 't' },
    'mm@0.9.0': { type: 'index', app: 'mm', image: 'mm', version: '0.9.0', digest: D(9), createdAt: 't', updatedAt: 't' },
    'mm:latest': { type: 'tag', app: 'mm', image: 'mm', tag: 'latest', version: '1.0.0', digest: D(1), createdAt: 't', updatedAt: 't' },
  },
};

describe('recordRefresh', () => {
  it("takes the registry's digest for moved tags, forgets deleted ones, ignores unknown tags, and writes history", () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const { state, changed } = recordRefresh(base, [
      { address: 'mm:latest', kind: 'moved', expected: D(1), actual: D(9) },
      { address: 'mm@0.9.0', kind: 'deleted', expected: D(9), actual: null },
      { address: 'mm:nightly', kind: 'unknown', expected: null, actual: D(5) },
    ], 'ci', now);
    expect(changed).toEqual(['mm:latest', 'mm@0.9.0']);
    expect(state.resources['mm:latest']).toMatchObject({ digest: D(9), updatedAt: now.toISOString() });
    expect(state.resources['mm@0.9.0']).toBeUndefined();
    expect(state.resources['mm:nightly']).toBeUndefined();
    expect(state.history).toEqual([
      { time: now.toISOString(), who: 'ci', operation: 'apply --refresh-only', action: 'refresh', address: 'mm:latest', previous: D(1), digest: D(9) },
      { time: now.toISOString(), who: 'ci', operation: 'apply --refresh-only', action: 'refresh', address: 'mm@0.9.0', previous: D(9) },
    ]);
    expect(base.resources['mm@0.9.0']).toBeDefined(); // input untouched
  });

  it('skips drift computed against another digest than the state now holds (state moved since the plan)', () => {
    const { changed } = recordRefresh(base, [{ address: 'mm@1.0.0', kind: 'moved', expected: D(77), actual: D(2) }], 'ci');
    expect(changed).toEqual([]);
  });
});
