/**
 * The prune step (retention): delete a version's index by digest, then the platform manifests the
 * plan found no kept index needs, and forget the version in state. The plan decided what goes;
 * this step only refuses when the registry changed under it, because a registry deletes by digest
 * and takes every tag on that digest along.
 */
import { AbortError } from '../errors.js';
import { REFERRER_TAG } from '../plan/drift.js';
import { isVersionTag } from '../plan/retention.js';
import type { ActionOf } from '../plan/types.js';
import { NotFoundError, RegistryError } from '../providers/registry/errors.js';
import type { RegistryBackend } from '../providers/registry/types.js';
import { kindOfReferrer, listReferrers } from '../providers/attest/referrers.js';
import type { ApplyContext } from './context.js';

const replan = 'Run `mirror plan` again: it re-reads the registry and prunes only what is still safe.';

/** DELETE a manifest; already gone is fine (two prunes may share a platform manifest, or a rerun). */
async function deleteIfPresent(registry: RegistryBackend, image: string, digest: string): Promise<void> {
  try {
    await registry.deleteManifest(image, digest);
  } catch (error) {
    if (error instanceof NotFoundError) return;
    // ghcr.io and Docker Hub answer 405 (or UNSUPPORTED) to the registry API's DELETE.
    if (error instanceof RegistryError && (error.status === 405 || /UNSUPPORTED/.test(error.message))) {
      throw new AbortError(`Registry ${registry.url} does not allow deleting manifests through the registry API, so ${image}@${digest} cannot be pruned.`,
        'Set retention: null for this registry, or delete old versions with its own API. A GitHub registry under another name than ghcr.io (GitHub Enterprise): name its host in MIRROR_GITHUB_PACKAGES_HOSTS so deletes go through the GitHub Packages API.', { cause: error });
    }
    throw error;
  }
}

/** Refuse when the version tag moved or any other non-version tag now points at the digest. */
async function assertStillPrunable(ctx: ApplyContext, action: ActionOf<'prune'>): Promise<boolean> {
  const { image, version, digest } = action;
  const tags = await ctx.registry.listTags(image);
  let present = false;
  if (tags.includes(version)) {
    const now = await ctx.registry.headManifest(image, version);
    if (now && now.digest !== digest) {
      throw new AbortError(`Refusing to prune ${action.address}: ${ctx.registry.repository(image)}:${version} now points at ${now.digest}, not the planned ${digest}.`, replan);
    }
    present = now !== undefined;
  }
  // Floating tags (latest, {major}, hand-made ones): the plan's tag moves ran before this step.
  for (const tag of tags) {
    if (tag === version || isVersionTag(tag) || REFERRER_TAG.test(tag)) continue;
    const d = await ctx.registry.headManifest(image, tag);
    if (d?.digest === digest) {
      throw new AbortError(`Refusing to prune ${action.address}: the tag ${ctx.registry.repository(image)}:${tag} points at it, and deleting the digest would delete that tag too.`,
        `Move ${tag} first, or add ${digest} to retention.protect. ${replan}`);
    }
  }
  return present || (await ctx.registry.headManifest(image, digest)) !== undefined;
}

/**
 * Delete mirror's attestation referrers of a pruned index and its `sha256-<hex>` fallback index:
 * left behind they would be a dangling tag about a digest that no longer exists. Referrers other
 * tools attached stay listed in the fallback index, which is then kept.
 */
async function deleteAttestations(registry: RegistryBackend, image: string, digest: string): Promise<void> {
  const { manifests, fallback } = await listReferrers(registry, image, digest);
  const ours = manifests.filter((d) => kindOfReferrer(d) !== undefined);
  for (const d of ours) await deleteIfPresent(registry, image, d.digest);
  if (fallback && manifests.length > 0 && ours.length === manifests.length) await deleteIfPresent(registry, image, fallback);
}

/** Delete a pruned version from the registry and forget it in state. */
export async function pruneStep(ctx: ApplyContext, action: ActionOf<'prune'>): Promise<string> {
  const { app, image, version, digest } = action;
  if (await assertStillPrunable(ctx, action)) await deleteIfPresent(ctx.registry, image, digest);
  await deleteAttestations(ctx.registry, image, digest);
  // A platform manifest a version recorded in state still uses stays, whatever the plan said.
  const used = new Set(Object.values(ctx.recorder.state.resources)
    .filter((r) => r.type === 'build' && r.app === app && r.image === image && r.version !== version).map((r) => r.digest));
  for (const child of action.manifests ?? []) {
    if (!used.has(child)) await deleteIfPresent(ctx.registry, image, child);
  }
  const addresses = Object.entries(ctx.recorder.state.resources)
    .filter(([address, r]) => address === action.address || (r.type === 'build' && r.app === app && r.image === image && r.version === version))
    .map(([address]) => address);
  await ctx.recorder.forget(addresses, { action: 'prune', address: action.address, previous: digest });
  return digest;
}
