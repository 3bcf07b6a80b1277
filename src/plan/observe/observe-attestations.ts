/**
 * The plan's look at attestations: for each recorded window version whose tag still has the
 * recorded digest, which attestation kinds its referrers hold. Cost: one referrers-API probe per
 * plan (a registry without the API answers 404 once and is not asked again), then at most one
 * request per version — the referrers list, or the `sha256-<hex>` fallback index, which is only
 * fetched when the tag listing has it (no request at all for a version never attested).
 */
import { emptyRepository, missingPlatforms, type ObservedRepository } from '../observed.js';
import { kindOfReferrer, listReferrers } from '../../providers/attest/index.js';
import { wantedKinds } from '../../providers/attest/types.js';
import { indexAddress } from '../../state/addresses.js';
import type { ObservationRound } from './observe-round.js';

/** Fill `repo.attested` for every version the planner may propose an attest action for (recorded, or about to be adopted). */
export async function observeAttestations(opts: ObservationRound): Promise<void> {
  const checks: Array<{ image: string; repo: ObservedRepository; digest: string }> = [];
  for (const app of opts.apps) {
    if (wantedKinds(app.attest).length === 0) continue;
    for (const image of app.images) {
      const repo = opts.repos.get(image.name) ?? emptyRepository();
      for (const { version } of opts.windows.get(app.name) ?? []) {
        const rec = opts.state.resources[indexAddress(app.name, image.name, version)];
        if (rec?.type === 'index' && repo.tags.has(version) && repo.tagDigests.get(version) === rec.digest) checks.push({ image: image.name, repo, digest: rec.digest });
        // A complete index the plan will adopt: its signature and SBOM may be missing too.
        const found = rec ? undefined : repo.untracked?.get(version);
        if (found && missingPlatforms(found, app.platforms).length === 0) checks.push({ image: image.name, repo, digest: found.digest });
      }
    }
  }
  const look = async ({ image, repo, digest }: (typeof checks)[number]) => {
    const { manifests } = await listReferrers(opts.registry, image, digest, repo.tags);
    repo.attested ??= new Map();
    repo.attested.set(digest, manifests.flatMap((d) => kindOfReferrer(d) ?? []));
  };
  // The first look alone: it learns whether the registry has the referrers API, so the rest do not each probe.
  const [first, ...rest] = checks;
  if (first) await look(first);
  await Promise.all(rest.map(look));
}
