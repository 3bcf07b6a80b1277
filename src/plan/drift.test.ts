/** Drift beyond the window (`plan --refresh-only`): pure, so tested on hand-made states and registries. */
import { describe, expect, it } from 'vitest';
import type { AppSpec } from '../config/model.js';
import { newState } from '../state/new-state.js';
import type { State } from '../state/types.js';
import { knownTags, refreshDrift } from './drift.js';
import { emptyRepository } from './observed.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const app = { name: 'mm', floatingTags: ['latest', '{major}'] } as unknown as AppSpec;
const rec = (type: 'index' | 'tag', appName: string, extra: Record<string, string>, n: number) => ({ type, app: appName, image: appName, digest: D(n), createdAt: 't', updatedAt: 't', ...extra });
function repoWith(tags: Record<string, string>) {
  const repo = emptyRepository();
  for (const [tag, digest] of Object.entries(tags)) { repo.tags.add(tag); repo.tagDigests.set(tag, digest); }
  return repo;
}
function stateWith(resources: State['resources']): State { return { ...newState(), resources }; }

describe('refreshDrift', () => {
  const window = [{ version: '3.0.0', tag: 'v3.0.0' }];
  const s = stateWith({
    'mm@3.0.0': rec('index', 'mm', { version: '3.0.0' }, 3),
    'mm@2.0.0': rec('index', 'mm', { version: '2.0.0' }, 2), // out of the window, still in the registry unmoved
    'mm@1.0.0': rec('index', 'mm', { version: '1.0.0' }, 1), // out of the window, gone
    'mm@0.9.0': rec('index', 'mm', { version: '0.9.0' }, 9), // out of the window, moved
    'mm:stable': rec('tag', 'mm', { tag: 'stable' }, 2),
    'ol@7.0.0': rec('index', 'ol', { version: '7.0.0' }, 7), // another app: not this image's business
    'ol:edge': rec('tag', 'ol', { tag: 'edge' }, 7),
  });

  it('reports recorded versions gone or moved outside the window, and tags nobody knows; nothing of other apps', () => {
    const repo = repoWith({ '3.0.0': D(3), '2.0.0': D(2), '0.9.0': D(99), latest: D(3), 3: D(3), stable: D(2), '7.0.0': D(70), edge: D(70), stray: D(5), [`sha256-${'a'.repeat(64)}.sig`]: D(6) });
    expect(refreshDrift(app, 'mm', window, s, repo, [])).toEqual([
      { address: 'mm@1.0.0', kind: 'deleted', expected: D(1), actual: null },
      { address: 'mm@0.9.0', kind: 'moved', expected: D(9), actual: D(99) },
      { address: 'mm@7.0.0', kind: 'unknown', expected: null, actual: D(70) },
      { address: 'mm:edge', kind: 'unknown', expected: null, actual: D(70) },
      { address: 'mm:stray', kind: 'unknown', expected: null, actual: D(5) },
    ]);
  });

  it('does not report again what the normal diff already reported', () => {
    const repo = repoWith({ '3.0.0': D(3), '2.0.0': D(2), '0.9.0': D(9), latest: D(3), 3: D(3), stable: D(2) });
    const already = [{ address: 'mm@1.0.0', kind: 'deleted' as const, expected: D(1), actual: null }];
    expect(refreshDrift(app, 'mm', window, s, repo, already)).toEqual([]);
  });

  it('knownTags: window and floating tags, and this image\'s recorded versions and tags only', () => {
    expect([...knownTags(app, 'mm', window, s, ['latest', '3'])].sort()).toEqual(['0.9.0', '1.0.0', '2.0.0', '3', '3.0.0', 'latest', 'stable']);
  });
});
