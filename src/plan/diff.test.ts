import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/model.js';
import type { State } from '../state/types.js';
import { diff } from './diff.js';
import { observedWorld } from '../../test/rig/observed.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function config(extra: Record<string, unknown> = {}): ResolvedConfig {
  return resolveConfig({
    registry: { url: 'localhost:5000/ns' },
    defaults: { maxVersions: 3, attest: { sbom: false, provenance: false, sign: false } },
    apps: {
      mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } },
      ol: { upstream: { type: 'github-releases', repository: 'a/ol' }, source: { git: 'g' },
        images: { base: {}, app: { dependsOn: ['base'], buildArgs: { B: '{image:base}' } } } },
    },
    ...extra,
  }, 'test.json', {});
}

function state(resources: State['resources'] = {}): State {
  return { formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 4, resources, history: [] };
}

const world = observedWorld;

const rec = (type: 'build' | 'index' | 'tag', app: string, image: string, digest: string, version?: string, platform?: string) => ({
  type, app, image, digest, version, platform, createdAt: 't', updatedAt: 't',
});

describe('diff', () => {
  it('builds window × platforms, one merge per version depending on its builds, latest on the semver max', () => {
    // Given an empty registry and a window where 1.10.0 > 1.9.10 by semver (not by string)
    const plan = diff(config(), state(), world({ mm: ['1.10.0', '1.9.10', '1.9.2'], ol: [] }));
    // Then every version × platform is built, merged once, and latest targets 1.10.0
    const builds = plan.actions.filter((a) => a.type === 'build');
    expect(builds).toHaveLength(6);
    const merge = plan.actions.find((a) => a.id === 'merge:mm@1.9.10')!;
    expect(merge.dependsOn).toEqual(['build:mm@1.9.10/linux/amd64', 'build:mm@1.9.10/linux/arm64']);
    const latest = plan.actions.find((a) => a.type === 'tag')!;
    expect(latest).toMatchObject({ address: 'mm:latest', tag: 'latest', version: '1.10.0', dependsOn: ['merge:mm@1.10.0'] });
    expect(plan.summary).toEqual({ build: 6, merge: 3, tag: 1, attest: 0, prune: 0, import: 0 });
    expect(plan.apps[0]).toMatchObject({ name: 'mm', window: ['1.10.0', '1.9.10', '1.9.2'], latest: '1.10.0' });
  });

  it('proposes nothing when the registry has every version and latest on the max', () => {
    const plan = diff(config(), state(), world({ mm: ['2.0.0', '1.0.0'], ol: [] }, {
      mm: { tags: { '2.0.0': D(2), '1.0.0': true, latest: D(2) } },
    }));
    expect(plan.actions).toEqual([]);
  });

  it('moves latest to the semver max even when that version already exists', () => {
    // Given both versions exist but latest points at the older one (the old pipeline only moved it on rebuild)
    const plan = diff(config(), state(), world({ mm: ['2.0.0', '1.0.0'], ol: [] }, {
      mm: { tags: { '2.0.0': D(2), '1.0.0': D(1), latest: D(1) } },
    }));
    expect(plan.actions).toEqual([expect.objectContaining({ type: 'tag', reason: 'latest moves 1.0.0 → 2.0.0', from: '1.0.0', dependsOn: [] })]);
  });

  it('orders a multi-image app: the app build depends on the base build of the same version and platform', () => {
    const plan = diff(config(), state(), world({ mm: [], ol: ['1.0.0'] }));
    const appBuild = plan.actions.find((a) => a.id === 'build:ol/app@1.0.0/linux/arm64')!;
    expect(appBuild.dependsOn).toEqual(['build:ol/base@1.0.0/linux/arm64']);
    expect(plan.actions.map((a) => a.id)).toContain('tag:ol/base:latest');
  });

  it('resumes: platform builds recorded in state and present in the registry are not rebuilt', () => {
    const s = state({
      'mm@1.0.0/linux/amd64': rec('build', 'mm', 'mm', D(10), '1.0.0', 'linux/amd64'),
      'mm@1.0.0/linux/arm64': rec('build', 'mm', 'mm', D(11), '1.0.0', 'linux/arm64'),
    });
    const plan = diff(config(), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { manifests: [D(10)] } }));
    expect(plan.actions.filter((a) => a.type === 'build').map((a) => a.address)).toEqual(['mm@1.0.0/linux/arm64']);
    expect(plan.actions.find((a) => a.type === 'merge')!.dependsOn).toEqual(['build:mm@1.0.0/linux/arm64']);
  });

  it('reports drift when the registry digest of a recorded version differs, and proposes the repair', () => {
    const s = state({
      'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0'),
      'mm@1.0.0/linux/amd64': rec('build', 'mm', 'mm', D(10), '1.0.0', 'linux/amd64'),
      'mm@1.0.0/linux/arm64': rec('build', 'mm', 'mm', D(11), '1.0.0', 'linux/arm64'),
    });
    const observed = world({ mm: ['1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': D(99), latest: D(1) }, manifests: [D(10), D(11)] } });
    const plan = diff(config(), s, observed);
    expect(plan.drift).toEqual([{ address: 'mm@1.0.0', kind: 'moved', expected: D(1), actual: D(99) }]);
    expect(plan.actions.find((a) => a.type === 'merge')).toMatchObject({ reason: 'tag drifted: registry digest differs from state', dependsOn: [] });
    // And --refresh-only reports the same drift but proposes nothing
    const refresh = diff(config(), s, observed, { refreshOnly: true });
    expect(refresh.drift).toHaveLength(1);
    expect(refresh.actions).toEqual([]);
  });

  it('calls a version above everything recorded a new upstream version', () => {
    const s = state({ 'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0') });
    const plan = diff(config(), s, world({ mm: ['1.1.0', '1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': D(1), latest: D(1) } } }));
    expect(plan.actions.find((a) => a.id === 'build:mm@1.1.0/linux/amd64')!.reason).toBe('new upstream version');
    expect(plan.actions.find((a) => a.type === 'tag')!.reason).toBe('latest moves 1.0.0 → 1.1.0');
  });

  it('keeps targeted actions and their dependencies only', () => {
    const plan = diff(config(), state(), world({ mm: ['2.0.0', '1.0.0'], ol: ['1.0.0'] }), { targets: ['ol/app@1.0.0'] });
    expect(new Set(plan.actions.map((a) => a.image))).toEqual(new Set(['app', 'base']));
    expect(plan.actions.some((a) => a.type === 'merge' && a.image === 'base')).toBe(false);
    expect(plan.summary.build).toBe(4);
  });

  it('adds floating {major} and {major}.{minor} tags on the max of each group, and attest after each merge', () => {
    const cfg = config({ defaults: { maxVersions: 5, floatingTags: ['latest', '{major}', '{major}.{minor}'], platforms: ['linux/amd64'] } });
    const plan = diff(cfg, state(), world({ mm: ['2.1.0', '2.0.3', '1.4.1', '1.4.0'], ol: [] }));
    const tags = Object.fromEntries(plan.actions.filter((a) => a.type === 'tag').map((a) => [a.tag, a.version]));
    expect(tags).toEqual({ latest: '2.1.0', 2: '2.1.0', '2.1': '2.1.0', '2.0': '2.0.3', 1: '1.4.1', '1.4': '1.4.1' });
    expect(plan.actions.filter((a) => a.type === 'attest')).toHaveLength(4);
  });

  it('a floating tag moved by hand is drift, and the plan re-tags it with a repair reason', () => {
    const s = state({
      'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0'),
      'mm@1.1.0': rec('index', 'mm', 'mm', D(2), '1.1.0'),
      'mm:latest': { ...rec('tag', 'mm', 'mm', D(2)), tag: 'latest', version: '1.1.0' },
    });
    const plan = diff(config(), s, world({ mm: ['1.1.0', '1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': D(1), '1.1.0': D(2), latest: D(1) } } }));
    expect(plan.drift).toEqual([{ address: 'mm:latest', kind: 'moved', expected: D(2), actual: D(1) }]);
    expect(plan.actions).toEqual([expect.objectContaining({ id: 'tag:mm:latest', version: '1.1.0', from: '1.0.0', reason: 'repair drift: latest moves 1.0.0 → 1.1.0' })]);
  });

  it('--refresh-only also reports recorded versions outside the window and unknown tags, never referrer tags', () => {
    const s = state({
      'mm@0.8.0': rec('index', 'mm', 'mm', D(8), '0.8.0'),
      'mm@0.9.0': rec('index', 'mm', 'mm', D(9), '0.9.0'),
      'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0'),
    });
    const tags = { '0.9.0': D(90), '1.0.0': D(1), latest: D(1), 'hand-made': D(5), '0.1.0': D(6), [`sha256-${'a'.repeat(64)}`]: D(7) };
    const refresh = diff(config(), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { tags } }), { refreshOnly: true });
    expect(refresh.drift).toEqual([
      { address: 'mm@0.8.0', kind: 'deleted', expected: D(8), actual: null },
      { address: 'mm@0.9.0', kind: 'moved', expected: D(9), actual: D(90) },
      { address: 'mm@0.1.0', kind: 'unknown', expected: null, actual: D(6) },
      { address: 'mm:hand-made', kind: 'unknown', expected: null, actual: D(5) },
    ]);
    // A normal plan does not look beyond the window: nothing to repair there
    expect(diff(config(), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { tags } })).drift).toEqual([]);
  });

  it('--refresh-only --target reports nothing outside the target: apps not observed are not read as deleted', () => {
    // Given a state holding both apps, and an observation of the targeted app only (as observe() does)
    const s = state({
      'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0'),
      'ol/base@1.0.0': rec('index', 'ol', 'base', D(2), '1.0.0'),
      'ol/app@1.0.0': rec('index', 'ol', 'app', D(3), '1.0.0'),
      'ol/app:latest': { ...rec('tag', 'ol', 'app', D(3)), tag: 'latest', version: '1.0.0' },
    });
    const observed = world({ mm: ['1.0.0'] }, { mm: { tags: { '1.0.0': D(1), latest: D(1), 'hand-made': D(5) } } });
    // When planning refresh-only (and a normal plan) targeted at mm
    const refresh = diff(config(), s, observed, { refreshOnly: true, targets: ['mm'] });
    const plan = diff(config(), s, observed, { targets: ['mm'] });
    // Then only mm's drift is reported, and nothing of ol is proposed or called deleted
    expect(refresh.drift).toEqual([{ address: 'mm:hand-made', kind: 'unknown', expected: null, actual: D(5) }]);
    expect(plan.drift).toEqual([]);
    expect(plan.actions.filter((a) => a.app === 'ol')).toEqual([]);
    expect(refresh.apps.map((a) => a.name)).toEqual(['mm']);
  });
});
