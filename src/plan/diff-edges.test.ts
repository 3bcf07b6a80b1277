/**
 * The planner at edges the scenario tests pass by (issue 20's mutation run found them unasserted):
 * which records make a version "new", resumed builds of a multi-image app, --replace of what the
 * state does not hold, a floating tag whose current digest only the state can name, and the
 * reasons and drift kinds the plan shows for a deletion.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/model.js';
import type { State } from '../state/types.js';
import { diff } from './diff.js';
import { observedWorld } from '../../test/rig/observed.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function config(attest: Record<string, unknown> = { sbom: false, provenance: false, sign: false }): ResolvedConfig {
  return resolveConfig({
    registry: { url: 'localhost:5000/ns' },
    defaults: { maxVersions: 3, attest },
    apps: {
      mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } },
      ol: { upstream: { type: 'github-releases', repository: 'a/ol' }, source: { git: 'g' }, images: { base: {}, app: { dependsOn: ['base'] } } },
    },
  }, 'test.json', {});
}

const state = (resources: State['resources'] = {}): State => ({ formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 4, resources, history: [] });
const rec = (type: 'build' | 'index' | 'tag', app: string, image: string, digest: string, version: string, extra: Record<string, string> = {}) => ({
  type, app, image, digest, version, createdAt: 't', updatedAt: 't', ...extra,
});

const world = observedWorld;
const reasonOf = (plan: ReturnType<typeof diff>, id: string) => plan.actions.find((a) => a.id === id)?.reason;

describe('"new upstream version" counts only the published versions of this image of this app', () => {
  it('not a platform build left by an unfinished run, not an index of a renamed app sharing the repository', () => {
    const s = state({
      'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0'),
      'mm@3.0.0/linux/amd64': rec('build', 'mm', 'mm', D(30), '3.0.0', { platform: 'linux/amd64' }),
      'old@4.0.0': rec('index', 'old', 'mm', D(4), '4.0.0'),
    });
    const plan = diff(config(), s, world({ mm: ['2.0.0'], ol: [] }, { mm: { tags: { '1.0.0': D(1) } } }));
    expect(reasonOf(plan, 'build:mm@2.0.0/linux/amd64')).toBe('new upstream version');
  });

  it("not the app's other image", () => {
    const s = state({ 'ol/base@1.0.0': rec('index', 'ol', 'base', D(1), '1.0.0'), 'ol/app@3.0.0': rec('index', 'ol', 'app', D(3), '3.0.0') });
    const plan = diff(config(), s, world({ mm: [], ol: ['2.0.0'] }, { base: { tags: { '1.0.0': D(1) } }, app: { tags: { '3.0.0': D(3) } } }));
    expect(reasonOf(plan, 'build:ol/base@2.0.0/linux/amd64')).toBe('new upstream version');
  });
});

describe('builds of a multi-image app', () => {
  it("an app build waits only for base builds this plan makes: a resumed base's recorded builds are no dependency", () => {
    // Given base's 1.0.0 builds recorded and in the registry (an earlier run stopped before merging), app's not
    const s = state({
      'ol/base@1.0.0/linux/amd64': rec('build', 'ol', 'base', D(10), '1.0.0', { platform: 'linux/amd64' }),
      'ol/base@1.0.0/linux/arm64': rec('build', 'ol', 'base', D(11), '1.0.0', { platform: 'linux/arm64' }),
    });
    const plan = diff(config(), s, world({ mm: [], ol: ['1.0.0'] }, { base: { manifests: [D(10), D(11)] } }));
    expect(plan.actions.find((a) => a.id === 'build:ol/app@1.0.0/linux/amd64')?.dependsOn).toEqual([]);
    // and base's merge, with nothing left to build, says why it is there
    expect(plan.actions.find((a) => a.id === 'merge:ol/base@1.0.0')).toMatchObject({ dependsOn: [], reason: 'platform builds pushed in an earlier run; index missing' });
  });
});

describe('--replace', () => {
  it('of a version the state does not record plans an ordinary build, not a replacement', () => {
    const plan = diff(config(), state(), world({ mm: ['1.0.0'], ol: [] }), { replace: ['mm@1.0.0'] });
    const build = plan.actions.find((a) => a.id === 'build:mm@1.0.0/linux/amd64');
    expect(build).toMatchObject({ reason: 'missing in registry' });
    expect(build).not.toHaveProperty('replace');
  });

  it('of a recorded version whose tag digest was not read is a replacement, not drift', () => {
    const s = state({ 'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0') });
    const plan = diff(config(), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': true } } }), { replace: ['mm@1.0.0'] });
    expect(reasonOf(plan, 'build:mm@1.0.0/linux/amd64')).toBe('replace requested: rebuild from source');
    expect(plan.drift).toEqual([]);
  });
});

describe('deleted outside mirror', () => {
  it('a recorded version whose tag is gone is drift of kind deleted, rebuilt with that reason', () => {
    const s = state({ 'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0') });
    const plan = diff(config(), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { tags: {} } }));
    expect(plan.drift).toEqual([{ address: 'mm@1.0.0', kind: 'deleted', expected: D(1), actual: null }]);
    expect(reasonOf(plan, 'build:mm@1.0.0/linux/amd64')).toBe('deleted from registry outside mirror');
    // and the latest move that follows repairs nothing itself: drift elsewhere does not make it a repair
    expect(reasonOf(plan, 'tag:mm:latest')).toBe('latest → 1.0.0 (missing in registry)');
  });

  it('a recorded floating tag that is gone is drift of kind deleted', () => {
    const s = state({ 'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0'), 'mm:latest': rec('tag', 'mm', 'mm', D(1), '1.0.0', { tag: 'latest' }) });
    const plan = diff(config(), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': D(1) } } }));
    expect(plan.drift).toEqual([{ address: 'mm:latest', kind: 'deleted', expected: D(1), actual: null }]);
    expect(reasonOf(plan, 'tag:mm:latest')).toBe('repair drift: latest → 1.0.0 (missing in registry)');
  });
});

describe('a floating tag on a digest no version tag holds', () => {
  it('names the version the state recorded at that digest: an index of this app and image, not a tag record or anything else', () => {
    // Given latest on D(1), which no version tag holds any more, and records that match it but in one field
    const s = state({
      'mm:stable': rec('tag', 'mm', 'mm', D(1), '5.0.0', { tag: 'stable' }),
      'old@6.0.0': rec('index', 'old', 'mm', D(1), '6.0.0'),
      'ol/base@7.0.0': rec('index', 'mm', 'base', D(1), '7.0.0'),
      'mm@8.0.0': rec('index', 'mm', 'mm', D(8), '8.0.0'),
      'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0'),
    });
    const plan = diff(config(), s, world({ mm: ['2.0.0'], ol: [] }, { mm: { tags: { '2.0.0': D(2), '8.0.0': D(8), latest: D(1) } } }));
    expect(plan.actions.find((a) => a.id === 'tag:mm:latest')).toMatchObject({ from: '1.0.0', version: '2.0.0', reason: 'latest moves 1.0.0 → 2.0.0' });
  });

  it('reads as an unknown digest when the state records no index there', () => {
    const s = state({ 'mm@8.0.0': rec('index', 'mm', 'mm', D(8), '8.0.0') });
    const plan = diff(config(), s, world({ mm: ['2.0.0'], ol: [] }, { mm: { tags: { '2.0.0': D(2), '8.0.0': D(8), latest: D(1) } } }));
    expect(plan.actions.find((a) => a.id === 'tag:mm:latest')).toMatchObject({ fromDigest: D(1) });
    expect(plan.actions.find((a) => a.id === 'tag:mm:latest')).not.toHaveProperty('from');
  });
});

describe('a floating tag onto a published version', () => {
  it('is proposed when the tag is absent even if the target digest was not read', () => {
    const plan = diff(config(), state(), world({ mm: ['1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': true } } }));
    expect(plan.actions.map((a) => a.id)).toEqual(['tag:mm:latest']);
  });

  it('does not wait for an attest of that version (only an import or merge records what it points at)', () => {
    const s = state({ 'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0') });
    const plan = diff(config({ sbom: false, provenance: false, sign: 'keyless' }), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': D(1) }, attested: [[D(1), []]] } }));
    expect(plan.actions.map((a) => [a.id, a.dependsOn])).toEqual([['attest:mm@1.0.0', []], ['tag:mm:latest', []]]);
  });
});

describe('plan apps header', () => {
  it('lists each app with its images, and an app the observation has no window for with an empty one and no actions', () => {
    const plan = diff(config(), state(), world({ mm: [] }));
    expect(plan.apps.map((a) => [a.name, a.images, a.window, a.latest])).toEqual([['mm', ['mm'], [], null], ['ol', ['base', 'app'], [], null]]);
    expect(plan.actions).toEqual([]);
  });
});

describe('attest reasons', () => {
  it('names every duplicated kind, comma-separated', () => {
    const s = state({ 'mm@1.0.0': rec('index', 'mm', 'mm', D(1), '1.0.0') });
    const attest = { sbom: true, provenance: true, sign: { key: 'env:K' } };
    const plan = diff(config(attest), s, world({ mm: ['1.0.0'], ol: [] }, { mm: { tags: { '1.0.0': D(1), latest: D(1) }, attested: [[D(1), ['sbom', 'sbom', 'provenance', 'signature', 'signature']]] } }));
    expect(reasonOf(plan, 'attest:mm@1.0.0')).toBe('duplicate attestations: 2 SBOM, 2 signature');
  });
});
