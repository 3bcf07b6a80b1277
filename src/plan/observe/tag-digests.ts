/** Learning which digest a tag holds: the step several observation rounds of the plan share. */
import { REFERRER_TAG } from '../drift.js';
import type { ObservedRepository } from '../observed.js';
import type { RegistryBackend } from '../../providers/registry/types.js';

/** Tags of a repository whose digest is not known yet (referrer-fallback tags belong to attestations). */
export function tagsWithoutDigest(repo: ObservedRepository): string[] {
  return [...repo.tags].filter((t) => !repo.tagDigests.has(t) && !REFERRER_TAG.test(t));
}

/**
 * HEADs started before a round knew it would need them (observe-image.ts startFloatingHeads, startRecordedHeads), by
 * repository and tag: whichever round asks for the tag first takes that answer instead of asking
 * again. Kept beside the observed repository rather than in it: the diff reads only what was learnt.
 */
const started = new WeakMap<ObservedRepository, Map<string, Promise<string | undefined>>>();

/** Start the HEAD of `tag` now; learnTagDigest uses its answer. */
export function startTagHead(registry: RegistryBackend, image: string, repo: ObservedRepository, tag: string): void {
  const head = registry.headManifest(image, tag).then((found) => found?.digest);
  head.catch(() => undefined); // thrown where a round awaits it, or never needed
  let heads = started.get(repo);
  if (!heads) started.set(repo, heads = new Map());
  heads.set(tag, head);
}

/** HEAD a tag (or take the HEAD started early) and record its digest; nothing when it vanished since the listing. */
export async function learnTagDigest(registry: RegistryBackend, image: string, repo: ObservedRepository, tag: string): Promise<void> {
  const d = await (started.get(repo)?.get(tag) ?? registry.headManifest(image, tag).then((found) => found?.digest));
  if (d) repo.tagDigests.set(tag, d);
}
