/**
 * What a prune frees, and which platform manifests it may delete. Pure.
 *
 * Counted per app, not per repository: the images of an app share layers (Outline's app image is
 * FROM its base) and a registry stores a blob once, so a blob counts only when no kept manifest in
 * any of the app's repositories references it, and only once, on the first prune that reaches it.
 * A prune's bytes = its index + its platform manifests + their configs and layers, minus all that.
 * Kept = every tag's manifest (and what it references) except the pruned ones and floating tags
 * this plan moves away. Versions this plan builds do not exist yet and are not counted as keeping
 * anything; blobs shared with other apps' repositories are not looked at (a registry that
 * deduplicates across repositories may free less), and a registry frees blobs at its garbage
 * collection, not at the DELETE.
 */
import type { AppSpec } from '../config/model.js';
import type { State } from '../state/types.js';
import { emptyRepository, type ManifestContent, type Observed } from './observed.js';
import { tagMovesOf } from './tag-move.js';
import type { Action, ActionOf } from './types.js';

type Visit = (digest: string, size: number) => void;

/** Visit a manifest, its platform manifests and their blobs (as far as they were observed). */
function walk(contents: Map<string, ManifestContent>, root: string, visit: Visit): void {
  const content = contents.get(root);
  visit(root, content?.size ?? 0);
  for (const m of content?.manifests ?? []) {
    visit(m.digest, contents.get(m.digest)?.size ?? m.size);
    for (const b of contents.get(m.digest)?.blobs ?? []) visit(b.digest, b.size);
  }
  for (const b of content?.blobs ?? []) visit(b.digest, b.size);
}

/** Platform manifests of a pruned version: from its index when observed, else the builds recorded in state. */
function childrenOf(contents: Map<string, ManifestContent>, state: State, prune: ActionOf<'prune'>): string[] {
  const index = contents.get(prune.digest);
  if (index) return (index.manifests ?? []).map((m) => m.digest);
  return Object.values(state.resources)
    .filter((r) => r.type === 'build' && r.app === prune.app && r.image === prune.image && r.version === prune.version)
    .map((r) => r.digest);
}

/** Set `bytes` and `manifests` on an app's prune actions (in place). */
export function accountBytes(app: AppSpec, state: State, observed: Observed, prunes: ActionOf<'prune'>[], planned: Action[]): void {
  // Stryker disable next-line ConditionalExpression,BlockStatement: a shortcut: without prunes there are no bytes to set (the walk of every tag's manifests is skipped)
  if (prunes.length === 0) return;
  const kept = new Set<string>();
  for (const image of app.images) {
    const repo = observed.registry.get(image.name) ?? emptyRepository();
    const contents = repo.contents ?? new Map<string, ManifestContent>();
    const pruned = new Set(prunes.filter((p) => p.image === image.name).map((p) => p.digest));
    const moving = new Set(tagMovesOf(planned, app.name, image.name).map((a) => a.tag));
    for (const [tag, digest] of repo.tagDigests) {
      if (!repo.tags.has(tag) || moving.has(tag) || pruned.has(digest)) continue;
      walk(contents, digest, (d) => kept.add(d));
    }
  }
  const counted = new Set<string>();
  for (const prune of prunes) {
    const contents = observed.registry.get(prune.image)?.contents ?? new Map<string, ManifestContent>();
    let bytes = 0;
    walk(contents, prune.digest, (digest, size) => {
      if (kept.has(digest) || counted.has(digest)) return;
      counted.add(digest);
      bytes += size;
    });
    prune.bytes = bytes;
    prune.manifests = [...new Set(childrenOf(contents, state, prune))].filter((d) => !kept.has(d) && d !== prune.digest);
  }
}
