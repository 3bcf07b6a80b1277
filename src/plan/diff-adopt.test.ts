/**
 * The plan of a registry mirror did not fill (an earlier pipeline's): complete indexes are
 * adopted (`import`), single-platform leftovers and incomplete indexes are rebuilt, floating tags
 * never land on a leftover, adopted versions get a signature and an SBOM but no provenance, and
 * `--replace` rebuilds one recorded version. Pure: hand-made observations.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { State } from '../state/types.js';
import { ADOPT_REASON, REPLACE_REASON, SINGLE_PLATFORM_REASON, diff } from './diff.js';
import { emptyRepository, type Observed, type RegistryVersion } from './observed.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const ATTEST = { sbom: true, provenance: true, sign: { key: 'env:K' } };
const config = () => resolveConfig({
  registry: { url: 'localhost:5000/ns' },
  defaults: { maxVersions: 3, attest: ATTEST },
  apps: { mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } } },
}, 'test.json', {});
const empty = (): State => ({ formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 0, resources: {}, history: [] });

/** An index holding these platforms (`digest`: the index). */
const indexOf = (digest: string, platforms: string[]): RegistryVersion => ({
  digest, mediaType: 'application/vnd.oci.image.index.v1+json', size: 500,
  platforms: platforms.map((p, i) => ({ platform: p, digest: D(1000 + i), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 400 })),
});
const single = (digest: string): RegistryVersion => ({ digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 400, platforms: null });

/** mm's window 1.2.0, 1.1.0, 1.0.0; the registry as given (version → what its tag holds), latest on `latest`. */
function world(held: Record<string, RegistryVersion>, latest?: string, attested: Record<string, Array<'sbom' | 'provenance' | 'signature'>> = {}): Observed {
  const repo = emptyRepository();
  repo.untracked = new Map();
  for (const [v, found] of Object.entries(held)) { repo.tags.add(v); repo.tagDigests.set(v, found.digest); repo.untracked.set(v, found); }
  if (latest) { repo.tags.add('latest'); repo.tagDigests.set('latest', held[latest].digest); }
  repo.attested = new Map(Object.entries(held).map(([v, f]) => [f.digest, attested[v] ?? []]));
  const window = ['1.2.0', '1.1.0', '1.0.0'].map((v) => ({ version: v, tag: `v${v}` }));
  return { windows: new Map([['mm', window]]), registry: new Map([['mm', repo]]) };
}
const rows = (o: Observed, state = empty(), replace?: string[]) => diff(config(), state, o, { replace }).actions.map((a) => `${a.id} (${a.reason}) [${a.dependsOn.join(' ')}]`);

describe('diff: adopting what an earlier pipeline published', () => {
  it('imports a complete index, attests it without provenance, and rebuilds a single-platform leftover; latest waits for the merge', () => {
    // Given 1.0.0 as a complete index, 1.1.0 as a single-platform image, 1.2.0 absent, latest → 1.1.0 (the leftover)
    const o = world({ '1.0.0': indexOf(D(10), ['linux/amd64', 'linux/arm64']), '1.1.0': single(D(11)) }, '1.1.0');
    // Then
    expect(rows(o)).toEqual([
      'build:mm@1.2.0/linux/amd64 (missing in registry) []',
      'build:mm@1.2.0/linux/arm64 (missing in registry) []',
      'merge:mm@1.2.0 (missing in registry) [build:mm@1.2.0/linux/amd64 build:mm@1.2.0/linux/arm64]',
      'attest:mm@1.2.0 (new index needs SBOM, provenance, signature) [merge:mm@1.2.0]',
      `build:mm@1.1.0/linux/amd64 (${SINGLE_PLATFORM_REASON}) []`,
      `build:mm@1.1.0/linux/arm64 (${SINGLE_PLATFORM_REASON}) []`,
      `merge:mm@1.1.0 (${SINGLE_PLATFORM_REASON}) [build:mm@1.1.0/linux/amd64 build:mm@1.1.0/linux/arm64]`,
      'attest:mm@1.1.0 (new index needs SBOM, provenance, signature) [merge:mm@1.1.0]',
      `import:mm@1.0.0 (${ADOPT_REASON}) []`,
      'attest:mm@1.0.0 (not attested: needs SBOM, signature) [import:mm@1.0.0]',
      'tag:mm:latest (latest moves 1.1.0 → 1.2.0) [merge:mm@1.2.0]',
    ]);
    expect(diff(config(), empty(), o).summary).toEqual({ build: 4, merge: 2, tag: 1, attest: 3, prune: 0, import: 1 });
  });

  it('an index lacking a configured platform is rebuilt, not adopted; latest never moves onto it without its merge', () => {
    const o = world({ '1.2.0': indexOf(D(12), ['linux/amd64']), '1.1.0': indexOf(D(11), ['linux/amd64', 'linux/arm64']), '1.0.0': indexOf(D(10), ['linux/amd64', 'linux/arm64']) }, '1.1.0',
      { '1.1.0': ['sbom', 'signature'], '1.0.0': ['sbom', 'signature', 'provenance'] });
    const plan = diff(config(), empty(), o);
    expect(plan.actions.filter((a) => a.version === '1.2.0').map((a) => `${a.id} (${a.reason})`)).toEqual([
      `build:mm@1.2.0/linux/amd64 (${SINGLE_PLATFORM_REASON})`, `build:mm@1.2.0/linux/arm64 (${SINGLE_PLATFORM_REASON})`,
      `merge:mm@1.2.0 (${SINGLE_PLATFORM_REASON})`, 'attest:mm@1.2.0 (new index needs SBOM, provenance, signature)', 'tag:mm:latest (latest moves 1.1.0 → 1.2.0)',
    ]);
    expect(plan.actions.find((a) => a.type === 'tag')?.dependsOn).toEqual(['merge:mm@1.2.0']);
    // Adopted versions already signed with an SBOM need no attest: provenance is not asked of them
    expect(plan.actions.filter((a) => a.version !== '1.2.0').map((a) => a.id)).toEqual(['import:mm@1.1.0', 'import:mm@1.0.0']);
    expect(plan.actions.find((a) => a.id === 'import:mm@1.1.0')).toMatchObject({ type: 'import', digest: D(11), dependsOn: [] });
  });

  it('latest onto an adopted version depends on its import; once adopted, nothing is proposed again', () => {
    const held = { '1.2.0': indexOf(D(12), ['linux/amd64', 'linux/arm64']) };
    expect(rows(world(held, undefined, { '1.2.0': ['sbom', 'signature'] })).filter((r) => !r.includes('1.1.0') && !r.includes('1.0.0'))).toEqual([
      `import:mm@1.2.0 (${ADOPT_REASON}) []`, 'tag:mm:latest (latest → 1.2.0 (missing in registry)) [import:mm@1.2.0]',
    ]);
    // Given the state the import leaves (an adopted index), the same registry plans no import and no provenance
    const state = { ...empty(), resources: { 'mm@1.2.0': { type: 'index' as const, app: 'mm', image: 'mm', version: '1.2.0', digest: D(12), origin: 'adopted' as const, createdAt: 't', updatedAt: 't' } } };
    const o = world(held, '1.2.0', { '1.2.0': ['sbom', 'signature'] });
    o.registry.get('mm')!.untracked = new Map();
    expect(rows(o, state).filter((r) => r.includes('1.2.0'))).toEqual([]);
  });

  it('--replace rebuilds exactly that recorded version: every platform (recorded builds too), merge, attest, latest re-points', () => {
    const rec = (address: string, digest: string, platform?: string) => ({ type: platform ? 'build' as const : 'index' as const, app: 'mm', image: 'mm', version: '1.2.0', ...(platform ? { platform } : {}), digest, origin: 'adopted' as const, createdAt: 't', updatedAt: 't' });
    const state = { ...empty(), resources: { 'mm@1.2.0': rec('mm@1.2.0', D(12)), 'mm@1.2.0/linux/amd64': rec('', D(1000), 'linux/amd64'), 'mm@1.2.0/linux/arm64': rec('', D(1001), 'linux/arm64') } };
    const o = world({ '1.2.0': indexOf(D(12), ['linux/amd64', 'linux/arm64']) }, '1.2.0', { '1.2.0': ['sbom', 'signature'] });
    o.registry.get('mm')!.untracked = new Map();
    o.registry.get('mm')!.manifests = new Map([[D(1000), true], [D(1001), true]]);
    expect(rows(o, state, ['mm@1.2.0']).filter((r) => r.includes('1.2.0') || r.includes('latest'))).toEqual([
      `build:mm@1.2.0/linux/amd64 (${REPLACE_REASON}) []`, `build:mm@1.2.0/linux/arm64 (${REPLACE_REASON}) []`,
      `merge:mm@1.2.0 (${REPLACE_REASON}) [build:mm@1.2.0/linux/amd64 build:mm@1.2.0/linux/arm64]`,
      'attest:mm@1.2.0 (new index needs SBOM, provenance, signature) [merge:mm@1.2.0]',
      'tag:mm:latest (latest re-points to the new 1.2.0 index) [merge:mm@1.2.0]',
    ]);
    const replaced = diff(config(), state, o, { replace: ['mm@1.2.0'] }).actions.filter((a) => a.type === 'build' || a.type === 'merge');
    expect(replaced.filter((a) => a.replace).map((a) => a.id)).toEqual(['build:mm@1.2.0/linux/amd64', 'build:mm@1.2.0/linux/arm64', 'merge:mm@1.2.0']);
  });
});
