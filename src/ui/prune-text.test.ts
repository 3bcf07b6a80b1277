import { describe, expect, it } from 'vitest';
import type { Action, Plan } from '../plan/types.js';
import { summaryLine } from './plan-summary.js';
import { humanBytes, reasonText } from './prune-text.js';

describe('retention wording', () => {
  it('shows bytes in decimal units', () => {
    expect([0, 999, 1000, 12_345, 12_300_000, 999_960, 4_200_000_000].map(humanBytes)).toEqual(['0 B', '999 B', '1.0 kB', '12.3 kB', '12.3 MB', '1.0 MB', '4.2 GB']);
  });

  it('says what a prune frees in its line and in the summary', () => {
    const prune: Action = { id: 'prune:mm@1.0.0', type: 'prune', address: 'mm@1.0.0', app: 'mm', image: 'mm', version: '1.0.0', reason: 'beyond keepLatest 3 (rank 5)', digest: `sha256:${'1'.repeat(64)}`, bytes: 12_300_000, dependsOn: [] };
    expect(reasonText(prune)).toBe('beyond keepLatest 3 (rank 5); frees 12.3 MB');
    const plan = { apps: [], drift: [], actions: [prune, { ...prune, id: 'prune:mm@0.9.0' }], reclaimBytes: 24_600_000, summary: { build: 1, merge: 0, tag: 0, attest: 0, prune: 2 } } as unknown as Plan;
    expect(summaryLine(plan)).toBe('Plan: 1 build, 2 to prune (frees 24.6 MB).');
  });
});
