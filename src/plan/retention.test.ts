import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ResolvedConfig, RetentionSettings } from '../config/model.js';
import { newState } from '../state/new-state.js';
import type { State } from '../state/types.js';
import { diff } from './diff.js';
import { emptyRepository, type ManifestContent, type Observed } from './observed.js';
import { selectByPolicy } from './retention.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const NOW = new Date('2026-06-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();

function config(retention: RetentionSettings, app: Record<string, unknown> = {}): ResolvedConfig {
  return resolveConfig({
    registry: { url: 'localhost:5000/ns' },
    defaults: { maxVersions: 2, attest: { sbom: false, provenance: false, sign: false }, retention },
    apps: { mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' }, ...app } },
  }, 'test.json', {});
}

/** Versions 1.0.0 … n.0.0 in the registry, version k's index digest D(k). */
function versions(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${i + 1}.0.0`, D(i + 1)]));
}

function world(window: string[], tags: Record<string, string | true>, contents?: Record<string, ManifestContent>, image = 'mm'): Observed {
  const repo = emptyRepository();
  for (const [tag, digest] of Object.entries(tags)) {
    repo.tags.add(tag);
    if (digest !== true) repo.tagDigests.set(tag, digest);
  }
  if (contents) repo.contents = new Map(Object.entries(contents));
  return { windows: new Map([['mm', window.map((v) => ({ version: v, tag: `v${v}` }))]]), registry: new Map([[image, repo]]) };
}

/** State recording version indexes made `age` days ago (and their two platform builds). */
function state(indexes: Record<string, { digest: string; age: number }>): State {
  const s = newState();
  for (const [version, { digest, age }] of Object.entries(indexes)) {
    const at = daysAgo(age);
    s.resources[`mm@${version}`] = { type: 'index', app: 'mm', image: 'mm', version, digest, createdAt: at, updatedAt: at };
    for (const [i, platform] of ['linux/amd64', 'linux/arm64'].entries()) {
      s.resources[`mm@${version}/${platform}`] = { type: 'build', app: 'mm', image: 'mm', version, platform, digest: D(1000 * Number(version[0]) + i), createdAt: at, updatedAt: at };
    }
  }
  return s;
}

const prunes = (plan: ReturnType<typeof diff>) => plan.actions.filter((a) => a.type === 'prune');
const plan = (c: ResolvedConfig, s: State, o: Observed, opts = {}) => diff(c, s, o, { now: NOW, ...opts });

describe('retention', () => {
  it('is off by default: nothing is pruned and the plan has no reclaimBytes', () => {
    const p = plan(config(null), newState(), world(['5.0.0', '4.0.0'], { ...versions(5), latest: D(5) }));
    expect(prunes(p)).toEqual([]);
    expect(p.reclaimBytes).toBeUndefined();
  });

  it('keepLatest: prunes versions ranked beyond N (semver order, newest kept), with reason, digest and summary', () => {
    // 1.10.0 > 1.9.0 by semver, not by string: the rank must say so
    const tags = { '1.10.0': D(10), '1.9.0': D(9), '1.2.0': D(2), '1.1.0': D(1), '1.0.0': D(100), latest: D(10) };
    const p = plan(config({ keepLatest: 3 }), newState(), world(['1.10.0'], tags));
    expect(prunes(p).map((a) => [a.address, a.reason, a.digest])).toEqual([
      ['mm@1.1.0', 'beyond keepLatest 3 (rank 4)', D(1)],
      ['mm@1.0.0', 'beyond keepLatest 3 (rank 5)', D(100)],
    ]);
    expect(prunes(p)[0]).toMatchObject({ id: 'prune:mm@1.1.0', app: 'mm', image: 'mm', version: '1.1.0', dependsOn: [] });
    expect(p.summary.prune).toBe(2);
    expect(p.reclaimBytes).toBe(0); // nothing observed about their content
  });

  it('never prunes a window version, even beyond keepLatest', () => {
    const p = plan(config({ keepLatest: 1 }), newState(), world(['5.0.0', '4.0.0', '3.0.0'], { ...versions(5), latest: D(5) }));
    expect(prunes(p).map((a) => a.version)).toEqual(['2.0.0', '1.0.0']);
  });

  it('maxAgeDays: prunes recorded versions older than D days; a version not in state has no known age and stays', () => {
    const s = state({ '3.0.0': { digest: D(3), age: 10 }, '2.0.0': { digest: D(2), age: 400 } });
    const p = plan(config({ maxAgeDays: 365 }), s, world(['5.0.0'], { ...versions(5), latest: D(5) }));
    expect(prunes(p).map((a) => [a.version, a.reason])).toEqual([['2.0.0', 'older than maxAgeDays 365 (400 days)']]);
  });

  it('keepLatest and maxAgeDays together: pruned only when beyond N and older than D (each is a keep rule)', () => {
    const s = state({
      '4.0.0': { digest: D(4), age: 500 }, // old but within the 4 newest: kept
      '3.0.0': { digest: D(3), age: 500 }, // old and beyond: pruned
      '2.0.0': { digest: D(2), age: 30 }, // beyond but young: kept
    });
    const p = plan(config({ keepLatest: 3, maxAgeDays: 365 }), s, world(['6.0.0'], { ...versions(6), latest: D(6) }));
    expect(prunes(p).map((a) => [a.version, a.reason])).toEqual([['3.0.0', 'beyond keepLatest 3 (rank 4) and older than maxAgeDays 365 (500 days)']]);
  });

  it('keepTags: a version tag matching a regex is kept', () => {
    const p = plan(config({ keepLatest: 1, keepTags: ['^2\\.', '^1\\.0\\.0$'] }), newState(), world(['5.0.0'], { ...versions(5), latest: D(5) }));
    expect(prunes(p).map((a) => a.version)).toEqual(['4.0.0', '3.0.0']);
  });

  it('protect: a protected digest is kept', () => {
    const p = plan(config({ keepLatest: 1, protect: [D(3)] }), newState(), world(['5.0.0'], { ...versions(5), latest: D(5) }));
    expect(prunes(p).map((a) => a.version)).toEqual(['4.0.0', '2.0.0', '1.0.0']);
  });

  it('never prunes the target of a floating tag (latest, {major}, a hand-made one) nor a digest another tag shares', () => {
    // Given latest already on the window max, `3` on 3.0.0, `stable` on 2.0.0, and 1.1.0 being the same index as 1.0.0
    const tags = { ...versions(5), '1.1.0': D(1), latest: D(5), 3: D(3), stable: D(2) };
    const p = plan(config({ keepLatest: 1, keepTags: ['^1\\.1\\.0$'] }, { floatingTags: ['latest'] }), newState(), world(['5.0.0'], tags));
    // Then only 4.0.0 goes: 3.0.0 and 2.0.0 are tag targets, 1.0.0 shares its digest with the kept 1.1.0
    expect(prunes(p).map((a) => a.version)).toEqual(['4.0.0']);
  });

  it('a floating tag this plan moves counts at its new target, and every prune of the image waits for the tag moves', () => {
    // Given latest on 1.0.0 and a new window max 5.0.0 (already in the registry)
    const p = plan(config({ keepLatest: 2 }), newState(), world(['5.0.0'], { ...versions(5), latest: D(1) }));
    expect(p.actions.find((a) => a.type === 'tag')).toMatchObject({ id: 'tag:mm:latest', version: '5.0.0', from: '1.0.0' });
    // Then 1.0.0 is pruned too, after latest has moved away
    expect(prunes(p).map((a) => [a.version, a.dependsOn])).toEqual([
      ['3.0.0', ['tag:mm:latest']], ['2.0.0', ['tag:mm:latest']], ['1.0.0', ['tag:mm:latest']],
    ]);
  });

  it('prunes nothing in an image with a tag whose digest was not observed (it might hold a candidate)', () => {
    const p = plan(config({ keepLatest: 1 }), newState(), world(['5.0.0'], { ...versions(5), latest: D(5), mystery: true }));
    expect(prunes(p)).toEqual([]);
  });

  it('a recorded version already gone from the registry is pruned from state (digest and builds from state)', () => {
    const s = state({ '1.0.0': { digest: D(1), age: 1 } });
    const p = plan(config({ keepLatest: 2 }), s, world(['3.0.0'], { '3.0.0': D(3), '2.0.0': D(2), latest: D(3) }));
    expect(prunes(p)).toEqual([expect.objectContaining({
      address: 'mm@1.0.0', digest: D(1), bytes: 0, manifests: [D(1000), D(1001)],
      reason: 'beyond keepLatest 2 (rank 3); already gone from the registry, forget it',
    })]);
  });

  it('bytes: index + platform manifests + configs + layers, never blobs a kept version shares, each blob once', () => {
    const L = (n: number) => D(5000 + n);
    const image = (config: number, ...layers: number[]): ManifestContent => ({ size: 500, blobs: [{ digest: L(config), size: 10 }, ...layers.map((l) => ({ digest: L(l), size: 1000 * l }))] });
    const index = (...children: number[]): ManifestContent => ({ size: 300, manifests: children.map((c) => ({ digest: D(c), size: 500 })) });
    const contents = {
      [D(3)]: index(30), [D(30)]: image(0, 1, 3), // kept (latest): config L0, base layer L1, own L3
      [D(2)]: index(20, 21), [D(20)]: image(0, 1, 2), [D(21)]: image(9, 4), // pruned: shares L0 and L1 with 3.0.0
      [D(1)]: index(10, 21), [D(10)]: image(0, 1, 2), // pruned: shares platform manifest D(21) and layer L2 with 2.0.0
    };
    const p = plan(config({ keepLatest: 1 }), newState(), world(['3.0.0'], { '3.0.0': D(3), '2.0.0': D(2), '1.0.0': D(1), latest: D(3) }, contents));
    const [two, one] = prunes(p);
    // 2.0.0: index 300 + D(20) 500 + L2 2000 + D(21) 500 + L9 10 + L4 4000 (L0, L1 are kept by 3.0.0)
    expect(two).toMatchObject({ version: '2.0.0', bytes: 300 + 500 + 2000 + 500 + 10 + 4000, manifests: [D(20), D(21)] });
    // 1.0.0: index 300 + D(10) 500; D(21), L2 already counted on 2.0.0
    expect(one).toMatchObject({ version: '1.0.0', bytes: 300 + 500, manifests: [D(10), D(21)] });
    expect(p.reclaimBytes).toBe(two.bytes! + one.bytes!);
  });

  it('bytes: a platform manifest a kept index references is neither deleted nor counted', () => {
    const contents = {
      [D(3)]: { size: 300, manifests: [{ digest: D(30), size: 500 }] }, [D(30)]: { size: 500, blobs: [] },
      [D(2)]: { size: 300, manifests: [{ digest: D(30), size: 500 }, { digest: D(20), size: 500 }] }, [D(20)]: { size: 500, blobs: [] },
    };
    const p = plan(config({ keepLatest: 1 }), newState(), world(['3.0.0'], { '3.0.0': D(3), '2.0.0': D(2), latest: D(3) }, contents));
    expect(prunes(p)).toEqual([expect.objectContaining({ version: '2.0.0', bytes: 800, manifests: [D(20)] })]);
  });

  it('--refresh-only proposes no prune; --target keeps a prune and the tag moves it waits for', () => {
    const o = world(['5.0.0'], { ...versions(5), latest: D(1) });
    expect(prunes(plan(config({ keepLatest: 4 }), newState(), o, { refreshOnly: true }))).toEqual([]);
    const targeted = plan(config({ keepLatest: 4 }), newState(), o, { targets: ['mm@1.0.0'] });
    expect(targeted.actions.map((a) => a.id)).toEqual(['tag:mm:latest', 'prune:mm@1.0.0']);
  });

  it('the config refuses a policy that could never prune anything', () => {
    expect(() => config({ keepTags: ['^1\\.'] })).toThrow(/defaults\.retention: needs keepLatest and\/or maxAgeDays/);
  });
});

describe('retention rules at their edges (mutation testing, issue 20)', () => {
  it('a policy with neither keepLatest nor maxAgeDays selects nothing (the schema refuses one; selection does not rely on it)', () => {
    const app = { ...config({ keepLatest: 1 }).apps[0], retention: { keepTags: ['^1\\.'], protect: [D(9)] } };
    expect(selectByPolicy(app, 'mm', Object.keys(versions(5)), newState(), ['5.0.0'], NOW)).toEqual([]);
    expect(selectByPolicy({ ...app, retention: null }, 'mm', Object.keys(versions(5)), newState(), ['5.0.0'], NOW)).toEqual([]);
    // and the same app with a rule does select, so the calls above can fail
    expect(selectByPolicy({ ...app, retention: { keepLatest: 4 } }, 'mm', Object.keys(versions(5)), newState(), ['5.0.0'], NOW)).toEqual([{ version: '1.0.0', reason: 'beyond keepLatest 4 (rank 5)' }]);
  });

  it('maxAgeDays prunes only versions strictly older than it: exactly maxAgeDays old is kept', () => {
    const s = state({ '3.0.0': { digest: D(3), age: 31 }, '2.0.0': { digest: D(2), age: 30 }, '1.0.0': { digest: D(1), age: 29 } });
    const p = plan(config({ maxAgeDays: 30 }), s, world(['4.0.0'], { ...versions(4), latest: D(4) }));
    expect(prunes(p).map((a) => [a.version, a.reason])).toEqual([['3.0.0', 'older than maxAgeDays 30 (31 days)']]);
  });

  it("another app's recorded versions take no rank among this image's versions", () => {
    // Given ol's records at 9.0.0 and 8.0.0 in the same state
    const s = newState();
    for (const v of ['9.0.0', '8.0.0']) s.resources[`ol@${v}`] = { type: 'index', app: 'ol', image: 'ol', version: v, digest: D(Number(v[0]) * 7), createdAt: daysAgo(1), updatedAt: daysAgo(1) };
    // When mm keeps its latest 2 of 3.0.0, 2.0.0, 1.0.0
    const p = plan(config({ keepLatest: 2 }), s, world(['3.0.0'], { ...versions(3), latest: D(3) }));
    // Then only 1.0.0 (rank 3) goes; 2.0.0 is not pushed down to rank 4 by ol's versions
    expect(prunes(p).map((a) => [a.address, a.reason])).toEqual([['mm@1.0.0', 'beyond keepLatest 2 (rank 3)']]);
  });

  it('a plan that builds but prunes nothing has no reclaimBytes', () => {
    const p = plan(config({ keepLatest: 5 }), newState(), world(['2.0.0', '1.0.0'], {}));
    expect(p.actions.some((a) => a.type === 'build')).toBe(true);
    expect(prunes(p)).toEqual([]);
    expect('reclaimBytes' in p).toBe(false);
  });
});

describe('platform manifests a prune deletes, when the registry contents were not read', () => {
  it("are the pruned version's recorded builds only: not another version's, not another app's, not an index", () => {
    const s = state({ '3.0.0': { digest: D(3), age: 1 }, '2.0.0': { digest: D(2), age: 2 }, '1.0.0': { digest: D(1), age: 3 } });
    s.resources['ol@1.0.0/linux/amd64'] = { type: 'build', app: 'ol', image: 'ol', version: '1.0.0', platform: 'linux/amd64', digest: D(7001), createdAt: 't', updatedAt: 't' };
    s.resources['mm:stable'] = { type: 'tag', app: 'mm', image: 'mm', version: '1.0.0', tag: 'stable', digest: D(7002), createdAt: 't', updatedAt: 't' };
    const p = plan(config({ keepLatest: 1 }), s, world(['3.0.0'], { '3.0.0': D(3), '2.0.0': D(2), '1.0.0': D(1), latest: D(3) }));
    expect(prunes(p).map((a) => [a.version, a.manifests])).toEqual([
      ['2.0.0', [D(2000), D(2001)]],
      ['1.0.0', [D(1000), D(1001)]],
    ]);
  });
});
