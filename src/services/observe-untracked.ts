/**
 * The plan's look at window versions the registry holds but the state does not record (a registry
 * filled by an earlier pipeline): one GET of the version tag each, telling an index that can be
 * adopted from a single-platform image or an incomplete index that must be rebuilt. Nothing is
 * fetched for a registry mirror already tracks, so a steady-state plan costs no extra request.
 */
import { emptyRepository, readRegistryVersion } from '../plan/observed.js';
import { NotFoundError } from '../providers/registry/errors.js';
import { indexAddress } from '../state/addresses.js';
import type { ObservationRound } from './observe-round.js';

/** Fill `repo.untracked` (and the tag's digest) for every untracked window version in the registry. */
export async function observeUntracked(opts: ObservationRound): Promise<void> {
  const gets: Array<Promise<void>> = [];
  for (const app of opts.apps) {
    for (const image of app.images) {
      const repo = opts.repos.get(image.name) ?? emptyRepository();
      for (const { version } of opts.windows.get(app.name) ?? []) {
        if (!repo.tags.has(version) || opts.state.resources[indexAddress(app.name, image.name, version)]) continue;
        gets.push(opts.limit(async () => {
          const fetched = await opts.registry.getManifest(image.name, version).catch((error: unknown) => { if (error instanceof NotFoundError) return undefined; throw error; });
          if (!fetched) { repo.tags.delete(version); return; } // deleted since the listing: the plan builds it
          repo.untracked ??= new Map();
          repo.untracked.set(version, readRegistryVersion(fetched.descriptor, fetched.bytes));
          repo.tagDigests.set(version, fetched.descriptor.digest);
        }));
      }
    }
  }
  await Promise.all(gets);
}
