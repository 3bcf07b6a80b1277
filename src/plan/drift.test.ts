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

  it("only this app's and this image's published versions count: not another image of the app, another app's image of that name, or a build record", () => {
    // Given records for image mm of app mm, an image `worker` of app mm, an app `zz` with an image `mm`, and an unmerged build of 4.0.0
    const mixed = stateWith({
      'mm@3.0.0': rec('index', 'mm', { version: '3.0.0' }, 3),
      'mm/worker@5.0.0': { ...rec('index', 'mm', { version: '5.0.0' }, 5), image: 'worker' },
      'mm/worker:edge': { ...rec('tag', 'mm', { tag: 'edge' }, 5), image: 'worker' },
      'zz/mm@6.0.0': { ...rec('index', 'zz', { version: '6.0.0' }, 6), image: 'mm' },
      'mm@4.0.0/linux/amd64': { type: 'build', app: 'mm', image: 'mm', version: '4.0.0', platform: 'linux/amd64', digest: D(4), createdAt: 't', updatedAt: 't' },
    } as State['resources']);
    // When the registry's mm repository holds 3.0.0 and tags named like the others' versions
    const repo = repoWith({ '3.0.0': D(3), latest: D(3), 3: D(3), '5.0.0': D(50), edge: D(50), '6.0.0': D(60), '4.0.0': D(40) });
    // Then those are unknown here, and the others' records (absent from this repository) are not reported deleted
    expect(refreshDrift(app, 'mm', window, mixed, repo, [])).toEqual([
      { address: 'mm@4.0.0', kind: 'unknown', expected: null, actual: D(40) },
      { address: 'mm@5.0.0', kind: 'unknown', expected: null, actual: D(50) },
      { address: 'mm@6.0.0', kind: 'unknown', expected: null, actual: D(60) },
      { address: 'mm:edge', kind: 'unknown', expected: null, actual: D(50) },
    ]);
  });

  it('a version in the window is the normal diff\'s to report, even when its tag moved', () => {
    const repo = repoWith({ '3.0.0': D(33), '2.0.0': D(2), '1.0.0': D(1), '0.9.0': D(9), latest: D(3), 3: D(3), stable: D(2) });
    expect(refreshDrift(app, 'mm', window, s, repo, [])).toEqual([]);
  });
});
