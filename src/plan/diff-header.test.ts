/**
 * What a plan carries besides its actions, which apply trusts without looking again: the upstream
 * tag and commit per version (the exact source built), the state it was made against (staleness),
 * the refresh-only flag, and the reason a build gives.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { State } from '../state/types.js';
import { diff } from './diff.js';
import { emptyRepository, type Observed } from './observed.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const config = (defaults: Record<string, unknown> = {}) => resolveConfig({
  registry: { url: 'localhost:5000/ns' },
  defaults: { maxVersions: 3, attest: { sbom: false, provenance: false, sign: false }, ...defaults },
  apps: {
    mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } },
    ol: { upstream: { type: 'github-releases', repository: 'a/ol' }, source: { git: 'g' } },
  },
}, 'test.json', {});
const state = (resources: State['resources'] = {}): State => ({ formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 4, resources, history: [] });
const index = (app: string, version: string, n: number) => ({ type: 'index' as const, app, image: app, version, digest: D(n), createdAt: 't', updatedAt: 't' });
function observed(windows: Record<string, Array<{ version: string; tag: string; commit?: string }>>): Observed {
  const o: Observed = { windows: new Map(Object.entries(windows)), registry: new Map() };
  for (const app of Object.keys(windows)) o.registry.set(app, emptyRepository());
  return o;
}

describe('plan header', () => {
  it('maps each window version to its upstream tag, and to its commit only where the upstream gave one', () => {
    const c1 = 'a'.repeat(40);
    const plan = diff(config(), state(), observed({
      mm: [{ version: '2.0.0', tag: 'v2.0.0', commit: c1 }, { version: '1.0.0', tag: 'release-1.0.0' }],
      ol: [{ version: '3.0.0', tag: 'v3.0.0' }],
    }));
    const [mm, ol] = plan.apps;
    expect(mm.tags).toEqual({ '2.0.0': 'v2.0.0', '1.0.0': 'release-1.0.0' });
    expect(mm.commits).toEqual({ '2.0.0': c1 });
    expect(ol.tags).toEqual({ '3.0.0': 'v3.0.0' });
    expect('commits' in ol).toBe(false);
  });

  it('records the state it was made against: lineage and serial, or no lineage when no state exists yet', () => {
    const w = { mm: [{ version: '1.0.0', tag: 'v1.0.0' }], ol: [] };
    expect(diff(config(), state(), observed(w)).state).toEqual({ lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 4 });
    expect(diff(config(), state(), observed(w), { stateExists: true }).state.lineage).toBe('2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11');
    expect(diff(config(), state(), observed(w), { stateExists: false }).state).toEqual({ lineage: null, serial: 4 });
  });

  it('marks a refresh-only plan, which has no actions; a normal plan has no such mark', () => {
    const w = { mm: [{ version: '1.0.0', tag: 'v1.0.0' }], ol: [] };
    const refresh = diff(config(), state(), observed(w), { refreshOnly: true });
    expect(refresh.refreshOnly).toBe(true);
    expect(refresh.actions).toEqual([]);
    const plan = diff(config(), state(), observed(w));
    expect('refreshOnly' in plan).toBe(false);
    expect(plan.actions.length).toBeGreaterThan(0);
  });
});

describe('build reasons', () => {
  const reasonOf = (s: State, version: string) => diff(config(), s, observed({ mm: [{ version, tag: `v${version}` }], ol: [] }))
    .actions.find((a) => a.type === 'build')?.reason;

  it('"new upstream version" only above every version this image has recorded', () => {
    expect(reasonOf(state({ 'mm@1.0.0': index('mm', '1.0.0', 1) }), '2.0.0')).toBe('new upstream version');
    // below one recorded version: an old version that went missing
    expect(reasonOf(state({ 'mm@1.0.0': index('mm', '1.0.0', 1), 'mm@3.0.0': index('mm', '3.0.0', 3) }), '2.0.0')).toBe('missing in registry');
    // another app's higher versions do not count
    expect(reasonOf(state({ 'mm@1.0.0': index('mm', '1.0.0', 1), 'ol@9.0.0': index('ol', '9.0.0', 9) }), '2.0.0')).toBe('new upstream version');
    // nothing recorded: nothing to be newer than
    expect(reasonOf(state(), '2.0.0')).toBe('missing in registry');
  });
});

describe('plan DAG and --target', () => {
  it('with several --target values, keeps the actions under any of them (and their dependencies), and only their drift', () => {
    const s = state({ 'mm@1.0.0': index('mm', '1.0.0', 1) }); // recorded, but gone from the registry: drift
    const o = observed({ mm: [{ version: '3.0.0', tag: 'v3.0.0' }, { version: '2.0.0', tag: 'v2.0.0' }, { version: '1.0.0', tag: 'v1.0.0' }], ol: [{ version: '1.0.0', tag: 'v1.0.0' }] });
    const plan = diff(config(), s, o, { targets: ['mm@3.0.0', 'mm@2.0.0'] });
    expect([...new Set(plan.actions.map((a) => a.address.replace(/\/.*/, '')))].sort()).toEqual(['mm@2.0.0', 'mm@3.0.0']);
    expect(plan.drift).toEqual([]);
    const withDrift = diff(config(), s, o, { targets: ['mm@3.0.0', 'mm@1.0.0'] });
    expect(withDrift.drift.map((d) => d.address)).toEqual(['mm@1.0.0']);
  });

  it('a floating tag onto an adopted version waits for that version\'s import, not another one\'s', () => {
    const o = observed({ mm: [{ version: '2.0.0', tag: 'v2.0.0' }, { version: '1.0.0', tag: 'v1.0.0' }], ol: [] });
    const repo = o.registry.get('mm')!;
    repo.untracked = new Map();
    for (const [v, n] of [['2.0.0', 2], ['1.0.0', 1]] as const) {
      const found = { digest: D(n), mediaType: 'application/vnd.oci.image.index.v1+json', size: 1, platforms: ['linux/amd64', 'linux/arm64'].map((platform, i) => ({ platform, digest: D(n * 10 + i), mediaType: 'm', size: 1 })) };
      repo.tags.add(v); repo.tagDigests.set(v, found.digest); repo.untracked.set(v, found);
    }
    const plan = diff(config({ floatingTags: ['latest', '{major}'] }), state(), o);
    expect(plan.actions.filter((a) => a.type === 'import').map((a) => a.id)).toEqual(['import:mm@2.0.0', 'import:mm@1.0.0']);
    const tags = Object.fromEntries(plan.actions.filter((a) => a.type === 'tag').map((a) => [a.tag, a.dependsOn]));
    expect(tags).toEqual({ latest: ['import:mm@2.0.0'], 2: ['import:mm@2.0.0'], 1: ['import:mm@1.0.0'] });
  });
});


describe('a leftover single-platform image', () => {
  it('is rebuilt on every platform even when builds of that version are recorded and still in the registry', () => {
    // Given a version tag holding one single-platform image (the old pipeline's), and recorded builds whose manifests exist
    const o = observed({ mm: [{ version: '1.0.0', tag: 'v1.0.0' }], ol: [] });
    const repo = o.registry.get('mm')!;
    repo.tags.add('1.0.0'); repo.tagDigests.set('1.0.0', D(50));
    repo.untracked = new Map([['1.0.0', { digest: D(50), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, platforms: null }]]);
    const s = state();
    for (const [i, platform] of ['linux/amd64', 'linux/arm64'].entries()) {
      s.resources[`mm@1.0.0/${platform}`] = { type: 'build', app: 'mm', image: 'mm', version: '1.0.0', platform, digest: D(60 + i), createdAt: 't', updatedAt: 't' };
      repo.manifests.set(D(60 + i), true);
    }
    // Then both platforms are built again and merged: the leftover is not mirror's build
    const plan = diff(config(), s, o);
    expect(plan.actions.filter((a) => a.type === 'build').map((a) => [a.platform, a.reason])).toEqual([
      ['linux/amd64', 'single-platform image: rebuild as a multi-arch index'], ['linux/arm64', 'single-platform image: rebuild as a multi-arch index'],
    ]);
  });
});

describe('a recorded version whose tag digest was not read', () => {
  it('is left alone (no rebuild, no drift), while a different digest is drift and rebuilt', () => {
    const o = observed({ mm: [{ version: '1.0.0', tag: 'v1.0.0' }], ol: [] });
    o.registry.get('mm')!.tags.add('1.0.0'); // listed, not HEADed
    const s = state({ 'mm@1.0.0': index('mm', '1.0.0', 1) });
    const plan = diff(config(), s, o);
    expect(plan.actions.filter((a) => a.version === '1.0.0' && a.type !== 'tag')).toEqual([]);
    expect(plan.drift).toEqual([]);
    o.registry.get('mm')!.tagDigests.set('1.0.0', D(2));
    const moved = diff(config(), s, o);
    expect(moved.drift).toEqual([{ address: 'mm@1.0.0', kind: 'moved', expected: D(1), actual: D(2) }]);
    expect(moved.actions.find((a) => a.type === 'merge')?.reason).toBe('tag drifted: registry digest differs from state');
  });
});
