/**
 * Retention (SPEC §2 `retention`; off by default, as the old pipeline never deleted): which old
 * versions a plan prunes. Pure, like the diff; what a prune frees is in retention-bytes.ts.
 *
 * keepLatest and maxAgeDays are keep rules, as in the seed's cleanup policy and GitLab's cleanup
 * policies: a version is pruned only when every one that is configured lets it go —
 * - keepLatest N keeps the N newest versions (semver order over the registry's version tags and
 *   the versions recorded in state, newest = rank 1), whatever their age;
 * - maxAgeDays D keeps every version younger than D days (age from the state index's `createdAt`;
 *   a version mirror never recorded has no known age, so it is kept).
 * Both set: pruned when beyond keepLatest AND older than maxAgeDays (an app that stopped releasing
 * keeps its last N instead of losing everything a year later). Neither set: nothing is pruned
 * (keepTags and protect only exempt; the config schema refuses such a policy).
 *
 * Never pruned, whatever the rules say: a window version (the desired state), a version tag that
 * matches a keepTags regex, a digest in protect, and a digest that another tag of the repository
 * holds — a floating tag (`latest`, `10`, a hand-made `stable`), or another version tag, since a
 * registry deletes by digest and takes every tag on it along. A floating tag that this plan moves
 * counts at its planned target instead, and the prune depends on that tag action, so apply has
 * moved it away before deleting.
 */
import semver from 'semver';
import type { AppSpec, ResolvedConfig } from '../config/model.js';
import { indexAddress } from '../state/addresses.js';
import type { State } from '../state/types.js';
import { REFERRER_TAG } from './drift.js';
import { emptyRepository, type Observed, type ObservedRepository } from './observed.js';
import { accountBytes } from './retention-bytes.js';
import { tagMovesOf } from './tag-move.js';
import type { Action, ActionOf } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A version tag as mirror writes them (`10.3.1`, never `v10.3.1`). */
export const isVersionTag = (tag: string): boolean => semver.valid(tag) === tag;

/** A version the keep rules let go, and why. */
export interface PolicyPick {
  version: string;
  reason: string;
}

/** Versions of an image recorded in state (index resources), with when they were made. */
function recordedVersions(state: State, app: string, image: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of Object.values(state.resources)) {
    if (r.type === 'index' && r.app === app && r.image === image && r.version && semver.valid(r.version)) out.set(r.version, r.createdAt);
  }
  return out;
}

/**
 * Versions the rank and age rules let go, before the digest checks. Also used by observe to know
 * whether an image needs the retention round at all.
 */
export function selectByPolicy(app: AppSpec, image: string, tags: Iterable<string>, state: State, window: Iterable<string>, now: Date): PolicyPick[] {
  const policy = app.retention;
  if (!policy || (policy.keepLatest === undefined && policy.maxAgeDays === undefined)) return [];
  const created = recordedVersions(state, app.name, image);
  const versions = [...new Set([...[...tags].filter(isVersionTag), ...created.keys()])].sort(semver.rcompare);
  const desired = new Set(window);
  // Stryker disable next-line ArrayDeclaration: a placeholder pattern ("Stryker was here") matches no version
  const keepTags = (policy.keepTags ?? []).map((r) => new RegExp(r));
  const picks: PolicyPick[] = [];
  versions.forEach((version, i) => {
    if (desired.has(version) || keepTags.some((r) => r.test(version))) return;
    const why: string[] = [];
    if (policy.keepLatest !== undefined) {
      if (i < policy.keepLatest) return;
      why.push(`beyond keepLatest ${policy.keepLatest} (rank ${i + 1})`);
    }
    if (policy.maxAgeDays !== undefined) {
      const at = created.get(version);
      // Stryker disable next-line ConditionalExpression: Date.parse(undefined) is NaN too; the check says so on purpose
      const days = at === undefined ? Number.NaN : Math.floor((now.getTime() - Date.parse(at)) / DAY_MS);
      if (!(days > policy.maxAgeDays)) return; // unknown (NaN) or young enough
      why.push(`older than maxAgeDays ${policy.maxAgeDays} (${days} days)`);
    }
    picks.push({ version, reason: why.join(' and ') });
  });
  return picks;
}

/** Prune actions of one image (bytes are added per app afterwards). */
function pruneImage(app: AppSpec, image: string, repo: ObservedRepository, state: State, window: string[], planned: Action[], now: Date): ActionOf<'prune'>[] {
  const picks = selectByPolicy(app, image, repo.tags, state, window, now);
  // Stryker disable next-line ConditionalExpression,BlockStatement: a shortcut: with no pick the rest finds nothing to prune either (it scans every tag and planned action)
  if (picks.length === 0) return [];
  const tagMoves = tagMovesOf(planned, app.name, image);
  const moving = new Set(tagMoves.map((a) => a.tag));
  // A guard: tags move to window versions, which selectByPolicy never picks.
  // Stryker disable next-line ArrowFunction: no pick is a tag move's target (see above), so an empty set keeps the same
  const targets = new Set(tagMoves.map((a) => a.version));
  const picked = new Set(picks.map((p) => p.version));
  // Digests other tags hold. A tag whose digest is unknown might hold any of them: prune nothing.
  const held = new Set<string>();
  for (const tag of repo.tags) {
    if (picked.has(tag) || moving.has(tag) || REFERRER_TAG.test(tag)) continue;
    const digest = repo.tagDigests.get(tag);
    if (digest === undefined) return [];
    held.add(digest);
  }
  // Stryker disable next-line OptionalChaining: planRetention calls this only for apps with a policy
  const protect = new Set(app.retention?.protect);
  const dependsOn = tagMoves.map((a) => a.id);
  const out: ActionOf<'prune'>[] = [];
  for (const { version, reason } of picks) {
    // Stryker disable next-line ConditionalExpression: no pick is a tag move's target (see above)
    if (targets.has(version)) continue;
    const address = indexAddress(app.name, image, version);
    const inRegistry = repo.tags.has(version);
    // A picked version absent from the registry is one the state records as an index (recordedVersions).
    // Stryker disable next-line OptionalChaining: that record exists, see above
    const digest = inRegistry ? repo.tagDigests.get(version) : state.resources[address]?.digest;
    if (digest === undefined || protect.has(digest) || held.has(digest)) continue;
    out.push({
      id: `prune:${address}`, type: 'prune', address, app: app.name, image, version,
      reason: inRegistry ? reason : `${reason}; already gone from the registry, forget it`, digest, dependsOn: [...dependsOn],
    });
  }
  return out;
}

/** The prune actions of every app with a retention policy. `planned` = the plan's other actions. */
export function planRetention(config: ResolvedConfig, state: State, observed: Observed, planned: Action[], now: Date): ActionOf<'prune'>[] {
  const out: ActionOf<'prune'>[] = [];
  for (const app of config.apps) {
    // Stryker disable next-line ConditionalExpression: without a policy selectByPolicy picks nothing; this only skips the work
    if (!app.retention) continue;
    // Stryker disable next-line ArrayDeclaration: a placeholder element has no version, so it exempts nothing
    const window = (observed.windows.get(app.name) ?? []).map((w) => w.version);
    const prunes = app.images.flatMap((image) =>
      pruneImage(app, image.name, observed.registry.get(image.name) ?? emptyRepository(), state, window, planned, now));
    accountBytes(app, state, observed, prunes, planned);
    out.push(...prunes);
  }
  return out;
}

/** `reclaimBytes` of a plan: the sum of its prunes' bytes, present only when it prunes. */
export function reclaimOf(actions: Action[]): { reclaimBytes?: number } {
  const prunes = actions.filter((a) => a.type === 'prune');
  return prunes.length === 0 ? {} : { reclaimBytes: prunes.reduce((n, a) => n + (a.bytes ?? 0), 0) };
}
