/**
 * The part of drift only `--refresh-only` looks for (a normal plan checks what it would repair:
 * the window and the floating tags). Here: recorded versions that left the window, and tags in a
 * mirrored repository that mirror neither recorded nor wants. Pure, like the diff.
 */
import semver from 'semver';
import type { AppSpec } from '../config/model.js';
import type { WindowVersion } from '../providers/upstream/types.js';
import { indexAddress, tagAddress } from '../state/addresses.js';
import type { State } from '../state/types.js';
import { floatingTagFor } from './floating.js';
import type { ObservedRepository } from './observed.js';
import type { Drift } from './types.js';

// Referrers tag schema (`sha256-<hex>`, `sha256-<hex>.sig`/`.att`) belongs to attestations, not drift.
export const REFERRER_TAG = /^sha256-[a-f0-9]{64}(\.[a-z]+)?$/;

/** Tags mirror answers for in an image repository: window versions, recorded versions and tags, floating tags. */
export function knownTags(app: AppSpec, image: string, window: WindowVersion[], state: State, floating: Iterable<string>): Set<string> {
  const known = new Set<string>([...window.map((w) => w.version), ...floating]);
  for (const r of Object.values(state.resources)) {
    if (r.app !== app.name || r.image !== image) continue;
    if (r.type === 'index' && r.version) known.add(r.version);
    // Stryker disable next-line ConditionalExpression,LogicalOperator: only tag records carry a tag; another record adds undefined, which no tag name matches
    if (r.type === 'tag' && r.tag) known.add(r.tag);
  }
  return known;
}

/** Drift beyond the window: recorded versions moved or deleted, and unknown tags. */
export function refreshDrift(app: AppSpec, image: string, window: WindowVersion[], state: State, repo: ObservedRepository, already: Drift[]): Drift[] {
  const out: Drift[] = [];
  const reported = new Set(already.map((d) => d.address));
  const inWindow = new Set(window.map((w) => w.version));
  for (const [address, r] of Object.entries(state.resources)) {
    if (r.app !== app.name || r.image !== image || r.type !== 'index' || !r.version || inWindow.has(r.version) || reported.has(address)) continue;
    if (!repo.tags.has(r.version)) out.push({ address, kind: 'deleted', expected: r.digest, actual: null });
    else {
      const actual = repo.tagDigests.get(r.version);
      if (actual && actual !== r.digest) out.push({ address, kind: 'moved', expected: r.digest, actual });
    }
  }
  const floating = app.floatingTags.flatMap((t) => window.map((w) => floatingTagFor(t, w.version)));
  const known = knownTags(app, image, window, state, floating);
  for (const tag of [...repo.tags].sort()) {
    if (known.has(tag) || REFERRER_TAG.test(tag)) continue;
    const address = semver.valid(tag) ? indexAddress(app.name, image, tag) : tagAddress(app.name, image, tag);
    out.push({ address, kind: 'unknown', expected: null, actual: repo.tagDigests.get(tag) ?? null });
  }
  return out;
}
