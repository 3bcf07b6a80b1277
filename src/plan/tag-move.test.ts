/**
 * Tag rows are labelled from the same fields that decide the move (issue 19: `latest absent →
 * 5.4.1` beside "moves from an unknown digest"; a drift repair shown as `1.10.0 → 1.10.0`).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { State } from '../state/types.js';
import { buildPlanTree } from '../ui/ink/plan-tree.js';
import { diff } from './diff.js';
import { emptyRepository, type Observed } from './observed.js';
import { tagMoveLabel, tagMoveReason } from './tag-move.js';
import type { Plan } from './types.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const config = resolveConfig({
  registry: { url: 'localhost:5000/ns' },
  defaults: { maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } },
  apps: { mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } } },
}, 'test.json', {});

function observed(tags: Record<string, string>): Observed {
  const repo = emptyRepository();
  for (const [tag, digest] of Object.entries(tags)) { repo.tags.add(tag); repo.tagDigests.set(tag, digest); }
  return { windows: new Map([['mm', [{ version: '2.0.0', tag: 'v2.0.0' }, { version: '1.0.0', tag: 'v1.0.0' }]]]), registry: new Map([['mm', repo]]) };
}
const state = (resources: State['resources'] = {}): State => ({ formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 4, resources, history: [] });
const tagRow = (plan: Plan) => buildPlanTree(plan)[0].children.find((n) => n.kind === 'tag')!;

describe('tag move labels and reasons', () => {
  it('a latest at a digest that is no version\'s reads as that digest, in the label and the reason alike (not absent)', () => {
    const plan = diff(config, state(), observed({ '2.0.0': D(2), '1.0.0': D(1), latest: D(0xe1c1) }));
    const tag = plan.actions.find((a) => a.type === 'tag')!;
    expect(tag.from).toBeUndefined();
    expect(tag).toMatchObject({ fromDigest: D(0xe1c1), version: '2.0.0' });
    const row = tagRow(plan);
    expect(row.label).toBe('latest sha256:000000000000… → 2.0.0');
    expect(row.detail).toBe('latest moves from an unknown digest (sha256:000000000000…) → 2.0.0');
    // A tag that is really absent still says so
    const absent = tagRow(diff(config, state(), observed({ '2.0.0': D(2), '1.0.0': D(1) })));
    expect([absent.label, absent.detail]).toEqual(['latest absent → 2.0.0', 'latest → 2.0.0 (missing in registry)']);
  });

  it('a re-point to a rebuilt index of the same version is not drawn as 2.0.0 → 2.0.0', () => {
    // Given --replace mm@2.0.0: the version is rebuilt, and latest (at the old 2.0.0 index) re-points to the new one
    const now = 't';
    const s = state({
      'mm@2.0.0': { type: 'index', app: 'mm', image: 'mm', version: '2.0.0', digest: D(2), createdAt: now, updatedAt: now },
      'mm@1.0.0': { type: 'index', app: 'mm', image: 'mm', version: '1.0.0', digest: D(1), createdAt: now, updatedAt: now },
      'mm:latest': { type: 'tag', app: 'mm', image: 'mm', digest: D(2), createdAt: now, updatedAt: now },
    } as State['resources']);
    const plan = diff(config, s, observed({ '2.0.0': D(2), '1.0.0': D(1), latest: D(2) }), { replace: ['mm@2.0.0'], stateExists: true, targets: [] });
    const tag = plan.actions.find((a) => a.type === 'tag')!;
    expect(tag).toMatchObject({ from: '2.0.0', version: '2.0.0' });
    expect(tagRow(plan).label).toBe('latest → new 2.0.0 index');
    expect(tagRow(plan).detail).toBe('latest re-points to the new 2.0.0 index');
  });

  it('every combination: the label names the same source as the reason', () => {
    const cases = [
      { tag: 'latest', version: '2.0.0', from: '1.0.0' },
      { tag: 'latest', version: '2.0.0' },
      { tag: 'latest', version: '2.0.0', fromDigest: D(7) },
      { tag: 'latest', version: '2.0.0', from: '2.0.0' },
    ];
    expect(cases.map((m) => [tagMoveLabel(m, 'outline:'), tagMoveReason(m, true)])).toEqual([
      ['outline:latest 1.0.0 → 2.0.0', 'repair drift: latest moves 1.0.0 → 2.0.0'],
      ['outline:latest absent → 2.0.0', 'repair drift: latest → 2.0.0 (missing in registry)'],
      ['outline:latest sha256:000000000000… → 2.0.0', 'repair drift: latest moves from an unknown digest (sha256:000000000000…) → 2.0.0'],
      ['outline:latest → new 2.0.0 index', 'repair drift: latest re-points to the new 2.0.0 index'],
    ]);
  });
});
