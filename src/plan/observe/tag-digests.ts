/** Learning which digest a tag holds: the step several observation rounds of the plan share. */
import { REFERRER_TAG } from '../drift.js';
import type { ObservedRepository } from '../observed.js';
import type { RegistryBackend } from '../../providers/registry/types.js';

/** Tags of a repository whose digest is not known yet (referrer-fallback tags belong to attestations). */
export function tagsWithoutDigest(repo: ObservedRepository): string[] {
  return [...repo.tags].filter((t) => !repo.tagDigests.has(t) && !REFERRER_TAG.test(t));
}

/** HEAD a tag and record its digest; nothing when it vanished since the listing. */
export async function learnTagDigest(registry: RegistryBackend, image: string, repo: ObservedRepository, tag: string): Promise<void> {
  const d = await registry.headManifest(image, tag);
  if (d) repo.tagDigests.set(tag, d.digest);
}
