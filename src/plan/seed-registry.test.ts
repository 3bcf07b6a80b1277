/**
 * The first plan of the seed's real registry (ghcr.io/this-is-tobi/mirror), modelled: what a user
 * migrating from the old pipeline (seed 000) sees on day one, with no state. The model, from
 * what the seed says the pipeline does:
 * - mattermost: the pipeline listed `releases?per_page=10` (creation order, prereleases dropped)
 *   and built what was missing, so the registry holds those versions; mirror's window is the
 *   semver-highest 10 of all releases. The release list is the rig's (test/rig/seed-world.ts),
 *   which has the real shape: a 9.11 backport cut last pushes older 10.x versions off page one.
 * - mostlymatter and outline (both images): every window version present.
 * - Every version is a complete linux/amd64 + linux/arm64 index (`imagetools create`), `latest` on
 *   the highest. Attestations were made by `cosign attest`/`cosign sign` in the tag format
 *   (`sha256-<hex>.att/.sig`), which carries no bundle referrer mirror can verify: none found.
 */
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { seedConfig } from '../../test/rig/world.js';
import { MATTERMOST_RELEASES } from '../../test/rig/seed-world.js';
import { newState } from '../state/new-state.js';
import { diff } from './diff.js';
import { emptyRepository, type Observed, type RegistryVersion } from './observed.js';
import { countByType } from './types.js';

let n = 0;
const digest = () => `sha256:${(++n).toString(16).padStart(64, '0')}`;
const complete = (): RegistryVersion => ({
  digest: digest(), mediaType: 'application/vnd.oci.image.index.v1+json', size: 700,
  platforms: ['linux/amd64', 'linux/arm64'].map((platform) => ({ platform, digest: digest(), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500 })),
});
const single = (): RegistryVersion => ({ digest: digest(), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 500, platforms: null });

const stable = (tags: string[]) => tags.map((t) => semver.valid(t.replace(/^v/, ''))).filter((v): v is string => v !== null && semver.prerelease(v) === null);
const top10 = (versions: string[]) => [...new Set(versions)].sort(semver.rcompare).slice(0, 10);

/** The old pipeline's mattermost list: page one of releases (10, creation order), drafts invisible, prereleases dropped. */
const oldMattermost = stable(MATTERMOST_RELEASES.slice(0, 10).filter((r) => !r.draft && !r.prerelease).map((r) => r.tag_name));
const windows = {
  mattermost: top10(stable(MATTERMOST_RELEASES.filter((r) => !r.draft && !r.prerelease).map((r) => r.tag_name))),
  mostlymatter: ['10.4.1', '10.4.0', '10.3.1', '10.3.0', '10.2.1', '10.2.0', '10.1.3', '10.1.2', '10.1.1', '10.1.0'],
  outline: ['0.82.0', '0.81.1', '0.81.0', '0.80.2', '0.80.1', '0.80.0', '0.79.1', '0.79.0', '0.78.0', '0.77.3'],
};

function registry(held: Record<string, { versions: string[]; make?: (v: string) => RegistryVersion }>): Observed {
  const observed: Observed = { windows: new Map(Object.entries(windows).map(([app, vs]) => [app, vs.map((v) => ({ version: v, tag: `v${v}` }))])), registry: new Map() };
  for (const [image, { versions, make }] of Object.entries(held)) {
    const repo = emptyRepository();
    repo.untracked = new Map();
    repo.attested = new Map();
    for (const v of versions) {
      const found = (make ?? complete)(v);
      repo.tags.add(v); repo.tagDigests.set(v, found.digest); repo.untracked.set(v, found);
      repo.attested.set(found.digest, []); // cosign tag-format attestations: no bundle referrer
      // cosign's legacy tags sit beside it: never adopted, never drift
      repo.tags.add(`${found.digest.replace(':', '-')}.sig`); repo.tags.add(`${found.digest.replace(':', '-')}.att`);
    }
    const highest = [...versions].sort(semver.rcompare)[0];
    repo.tags.add('latest'); repo.tagDigests.set('latest', repo.tagDigests.get(highest) as string);
    observed.registry.set(image, repo);
  }
  return observed;
}

const config = resolveConfig(seedConfig('ghcr.io/this-is-tobi/mirror', 'http://upstream.invalid'), 'mirror.config.json', { MIRROR_SIGNING_KEY: 'unused' });

describe("the first plan of the seed's registry (3 apps × 10 versions, no state)", () => {
  it('adopts what the old pipeline built, attests it (signature + SBOM), and builds only what page one of the releases missed', () => {
    // Given the registry the old pipeline left
    const observed = registry({
      mattermost: { versions: oldMattermost },
      mostlymatter: { versions: windows.mostlymatter },
      'base-outline': { versions: windows.outline },
      outline: { versions: windows.outline },
    });
    // When planning with an empty state
    const plan = diff(config, newState(), observed, { stateExists: false });
    // Then
    expect(oldMattermost).toEqual(['9.11.12', '10.4.1', '10.4.0', '10.3.2', '10.3.1', '10.3.0', '10.2.1', '10.2.0']);
    const built = [...new Set(plan.actions.filter((a) => a.type === 'build').map((a) => a.version))];
    expect(built).toEqual(['10.1.3', '10.1.2', '10.1.1']); // in mirror's window, never on the old pipeline's page one
    expect(plan.summary).toEqual({ build: 6, merge: 3, tag: 0, attest: 40, prune: 0, import: 37 });
    const perApp = Object.fromEntries(['mattermost', 'mostlymatter', 'outline'].map((app) => [app, countByType(plan.actions.filter((a) => a.app === app))]));
    expect(perApp.mattermost).toMatchObject({ import: 7, build: 6, merge: 3, attest: 10 });
    expect(perApp.mostlymatter).toMatchObject({ import: 10, attest: 10, build: 0 });
    expect(perApp.outline).toMatchObject({ import: 20, attest: 20, build: 0 });
    // Adopted versions are attested with what can honestly be added; new builds get all three
    const reasons = new Set(plan.actions.filter((a) => a.type === 'attest').map((a) => a.reason));
    expect(reasons).toEqual(new Set(['not attested: needs SBOM, signature', 'new index needs SBOM, provenance, signature']));
    expect(plan.drift).toEqual([]);
  });

  it('a legacy single-platform image among them turns its import into a rebuild (2 builds, a merge, full attestations)', () => {
    const legacy = '10.4.0';
    const observed = registry({
      mattermost: { versions: oldMattermost, make: (v) => (v === legacy ? single() : complete()) },
      mostlymatter: { versions: windows.mostlymatter },
      'base-outline': { versions: windows.outline },
      outline: { versions: windows.outline },
    });
    const plan = diff(config, newState(), observed, { stateExists: false });
    expect(plan.summary).toEqual({ build: 8, merge: 4, tag: 0, attest: 40, prune: 0, import: 36 });
    expect(plan.actions.find((a) => a.id === `merge:mattermost@${legacy}`)?.reason).toBe('single-platform image: rebuild as a multi-arch index');
  });
});
