import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { State } from '../state/types.js';
import { diff } from './diff.js';
import { emptyRepository, type Observed } from './observed.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const config = (attest: Record<string, unknown> = { sbom: true, provenance: true, sign: { key: 'env:K' } }) => resolveConfig({
  registry: { url: 'localhost:5000/ns' },
  defaults: { maxVersions: 3, floatingTags: [], attest },
  apps: { mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } } },
}, 'test.json', {});
const index = (version: string, digest: string) => ({ type: 'index' as const, app: 'mm', image: 'mm', version, digest, createdAt: 't', updatedAt: 't' });

function observed(attested?: Array<[string, Array<'sbom' | 'provenance' | 'signature'>]>): Observed {
  const repo = emptyRepository();
  for (const [v, d] of [['1.1.0', D(1)], ['1.0.0', D(2)]]) { repo.tags.add(v); repo.tagDigests.set(v, d); }
  if (attested) repo.attested = new Map(attested);
  return { windows: new Map([['mm', [{ version: '1.1.0', tag: 'v1.1.0' }, { version: '1.0.0', tag: 'v1.0.0' }]]]), registry: new Map([['mm', repo]]) };
}
const state: State = { formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 1, resources: { 'mm@1.1.0': index('1.1.0', D(1)), 'mm@1.0.0': index('1.0.0', D(2)) }, history: [] };

describe('diff: attestations of published versions', () => {
  it('proposes attest for a version with none and for one missing a kind, with that reason; nothing for a complete one', () => {
    const plan = diff(config(), state, observed([[D(1), ['sbom', 'provenance', 'signature']], [D(2), ['signature']]]));
    expect(plan.actions.map((a) => `${a.id} (${a.reason}) [${a.dependsOn.join()}]`)).toEqual(['attest:mm@1.0.0 (attestations incomplete: missing SBOM, provenance) []']);
    const none = diff(config(), state, observed([[D(1), []], [D(2), ['sbom', 'provenance', 'signature']]]));
    expect(none.actions.map((a) => `${a.id} (${a.reason})`)).toEqual(['attest:mm@1.1.0 (not attested: needs SBOM, provenance, signature)']);
  });

  it('proposes attest for a kind attached twice (verify fails it; attesting again leaves one), with the count in the reason', () => {
    const plan = diff(config(), state, observed([[D(1), ['sbom', 'provenance', 'signature', 'signature']], [D(2), ['signature', 'sbom', 'sbom']]]));
    expect(plan.actions.map((a) => `${a.id} (${a.reason})`)).toEqual([
      'attest:mm@1.1.0 (duplicate attestations: 2 signature)',
      'attest:mm@1.0.0 (attestations incomplete: missing provenance; duplicate attestations: 2 SBOM)',
    ]);
  });

  it('asks only for the kinds the config wants, and nothing for versions the observation did not look at', () => {
    const signOnly = config({ sbom: false, provenance: false, sign: 'keyless' });
    expect(diff(signOnly, state, observed([[D(1), ['signature']], [D(2), ['signature']]])).actions).toEqual([]);
    expect(diff(config(), state, observed()).actions).toEqual([]);
  });

  it('refuses sign: false with SBOM or provenance on (they are signed bundles)', () => {
    expect(() => config({ sbom: true, provenance: false, sign: false })).toThrow(ConfigError);
    expect(() => config({ sbom: true, provenance: false, sign: false })).toThrow(/apps\.mm\.attest\.sign: false, but sbom\/provenance are on/);
  });
});
