/**
 * The plan's look at window versions the registry holds but the state does not record (a registry
 * filled by an earlier pipeline): one GET of the version tag each, telling an index that can be
 * adopted from a single-platform image or an incomplete index that must be rebuilt. Nothing is
 * fetched for a registry mirror already tracks, so a steady-state plan costs no extra request.
 */
import { readRegistryVersion } from '../observed.js';
import { NotFoundError } from '../../providers/registry/errors.js';
import { indexAddress } from '../../state/addresses.js';
import type { ImageRound } from './observe-image.js';

/** Fill `repo.untracked` (and the tag's digest) for every untracked window version of one image in the registry. */
export async function observeUntrackedImage(r: ImageRound): Promise<void> {
  const { app, image, window, repo, state, registry } = r;
  await Promise.all(window.map(async ({ version }) => {
    if (!repo.tags.has(version) || state.resources[indexAddress(app.name, image, version)]) return;
    const fetched = await registry.getManifest(image, version).catch((error: unknown) => { if (error instanceof NotFoundError) return undefined; throw error; });
    if (!fetched) { repo.tags.delete(version); return; } // deleted since the listing: the plan builds it
    repo.untracked ??= new Map();
    repo.untracked.set(version, readRegistryVersion(fetched.descriptor, fetched.bytes));
    repo.tagDigests.set(version, fetched.descriptor.digest);
  }));
}
