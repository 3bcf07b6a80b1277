/**
 * Retention's observation round. Only for an app with a policy whose rank/age rules let at least
 * one version go (otherwise it costs nothing): the planner must then know
 * - the digest of every tag of the app's repositories (any tag may hold a candidate's digest, and
 *   deleting by digest deletes every tag on it), and
 * - what every tagged manifest references (index → platform manifests → config and layers), so a
 *   prune's bytes leave out blobs kept versions share and kept indexes keep their platform manifests.
 * Cost for such an app: a HEAD per non-version tag whose digest is not known yet, one GET per
 * distinct tagged manifest (version tags are read by GET directly: digest and content at once)
 * and one GET per platform manifest — about (1 + platforms) × versions in the registry.
 */
import { REFERRER_TAG } from '../drift.js';
import type { ManifestContent, ObservedRepository } from '../observed.js';
import { isVersionTag, selectByPolicy } from '../retention.js';
import { NotFoundError } from '../../providers/registry/errors.js';
import type { RegistryBackend } from '../../providers/registry/types.js';
import type { ObservationRound } from './observe-round.js';
import { learnTagDigest, tagsWithoutDigest } from './tag-digests.js';

/** Inputs of the retention round (observe's own maps, filled in place). */
export interface RetentionObservation extends ObservationRound {
  now?: Date;
}

type Ref = { digest: string; size: number };
const refs = (list: unknown): Ref[] =>
  (Array.isArray(list) ? list : []).filter((d): d is Ref => typeof d?.digest === 'string' && typeof d?.size === 'number')
    .map((d) => ({ digest: d.digest, size: d.size }));

/** What a manifest references: platform manifests (an index) or config and layers (an image). */
export function manifestContent(bytes: Uint8Array): ManifestContent {
  let body: Record<string, unknown>;
  try { body = JSON.parse(Buffer.from(bytes).toString()) as Record<string, unknown>; } catch { return { size: bytes.length }; }
  if (Array.isArray(body.manifests)) return { size: bytes.length, manifests: refs(body.manifests) };
  if (body.config || body.layers) return { size: bytes.length, blobs: refs([body.config, ...(Array.isArray(body.layers) ? body.layers : [])]) };
  return { size: bytes.length };
}

/** GET a manifest; undefined when it vanished since the tag listing. */
async function read(registry: RegistryBackend, image: string, reference: string) {
  try {
    return await registry.getManifest(image, reference);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Every tag's digest and the content graph of one repository. */
async function observeRepository(registry: RegistryBackend, image: string, repo: ObservedRepository): Promise<void> {
  const contents = repo.contents ?? new Map<string, ManifestContent>();
  repo.contents = contents;
  await Promise.all(tagsWithoutDigest(repo).map(async (tag) => {
    if (!isVersionTag(tag)) return learnTagDigest(registry, image, repo, tag); // usually a version's digest: no GET needed
    const m = await read(registry, image, tag);
    if (m) { repo.tagDigests.set(tag, m.descriptor.digest); contents.set(m.descriptor.digest, manifestContent(m.bytes)); }
  }));
  const fetch = (digests: Iterable<string>) => Promise.all([...new Set(digests)].filter((d) => !contents.has(d)).map(async (digest) => {
    const m = await read(registry, image, digest);
    if (m) contents.set(digest, manifestContent(m.bytes));
  }));
  await fetch([...repo.tagDigests].filter(([tag]) => repo.tags.has(tag) && !REFERRER_TAG.test(tag)).map(([, d]) => d));
  await fetch([...contents.values()].flatMap((c) => (c.manifests ?? []).map((m) => m.digest)));
}

/** Fill `tagDigests` and `contents` of the repositories of apps that would prune something. */
export async function observeRetention(opts: RetentionObservation): Promise<void> {
  const now = opts.now ?? new Date();
  await Promise.all(opts.apps.filter((app) => app.retention).map(async (app) => {
    const window = (opts.windows.get(app.name) ?? []).map((w) => w.version);
    const prunes = app.images.some((image) =>
      selectByPolicy(app, image.name, opts.repos.get(image.name)?.tags ?? [], opts.state, window, now).length > 0);
    if (!prunes) return;
    await Promise.all(app.images.map(async (image) => {
      const repo = opts.repos.get(image.name);
      if (repo) await observeRepository(opts.registry, image.name, repo);
    }));
  }));
}
