/**
 * The planner: desired state (window × images × platforms, floating tags) against what the
 * registry and the state file say → actions with reasons and dependencies. Pure: no I/O here,
 * everything it needs arrives in `Observed` and `State`.
 */
import semver from 'semver';
import type { AppSpec, ImageSpec, ResolvedConfig } from '../config/model.js';
import { buildAddress, indexAddress, matchesTarget, parseAddress, tagAddress } from '../state/addresses.js';
import type { State } from '../state/types.js';
import type { WindowVersion } from '../providers/upstream/types.js';
import { KIND_LABELS, kindsFor, wantedKinds } from '../providers/attest/types.js';
import { emptyRepository, missingPlatforms, type Observed, type ObservedRepository } from './observed.js';
import { refreshDrift } from './drift.js';
import { tagMoveReason } from './tag-move.js';
import { floatingTagFor } from './floating.js';
import { planRetention, reclaimOf } from './retention.js';
import { recordedByImage, recordedOf, type RecordedImage } from './recorded.js';
import { countByType, type Action, type Drift, type Plan, type PlanApp } from './types.js';

/** An action before its id is given: Omit taken per variant, so a literal is checked against its own type's fields. */
type Unnamed<A = Action> = A extends Action ? Omit<A, 'id'> : never;

/** Options that change what the plan proposes. */
export interface DiffOptions {
  targets?: string[];
  refreshOnly?: boolean;
  now?: Date;
  /** False when no state file exists yet: the plan then records no lineage. */
  stateExists?: boolean;
  /** `--replace ADDR`: version addresses rebuilt from source although they exist (Terraform's -replace). */
  replace?: string[];
}

/** Every platform build of a version that the state records and the registry still has. */
function reusableBuild(state: State, repo: ObservedRepository, address: string): boolean {
  const rec = state.resources[address];
  return rec?.type === 'build' && repo.manifests.get(rec.digest) === true;
}

interface Ctx {
  config: ResolvedConfig;
  state: State;
  observed: Observed;
  actions: Action[];
  drift: Drift[];
  replace: string[];
  /** The state's index records by image (one pass, not one per window version). */
  recorded: Map<string, RecordedImage>;
}

function push(ctx: Ctx, action: Unnamed): Action {
  const full: Action = { id: `${action.type}:${action.address}`, ...action };
  ctx.actions.push(full);
  return full;
}

/** Reason for building a version that the registry lacks. */
function missingReason(ctx: Ctx, app: string, image: string, version: string): string {
  const known = recordedOf(ctx.recorded, app, image).versions;
  if (known.length > 0 && known.every((k) => semver.gt(version, k))) return 'new upstream version';
  return 'missing in registry';
}

/** Reason of the builds that turn a leftover single-platform image (or an incomplete index) into a multi-arch index. */
export const SINGLE_PLATFORM_REASON = 'single-platform image: rebuild as a multi-arch index';
/** Reason of an `import` action. */
export const ADOPT_REASON = 'in registry, not in state: adopt';
/** Reason of the builds of a version named by `--replace`. */
export const REPLACE_REASON = 'replace requested: rebuild from source';

function planVersion(ctx: Ctx, app: AppSpec, image: ImageSpec, v: WindowVersion, merged: Map<string, Action>) {
  const repo = ctx.observed.registry.get(image.name) ?? emptyRepository();
  const idx = indexAddress(app.name, image.name, v.version);
  const rec = ctx.state.resources[idx];
  const replace = rec?.type === 'index' && ctx.replace.some((r) => matchesTarget(idx, r));
  let reason: string;
  if (repo.tags.has(v.version) && rec?.type !== 'index') {
    const found = repo.untracked?.get(v.version);
    if (!found) return; // not looked at (refresh-only, or a hand-made observation)
    if (missingPlatforms(found, app.platforms).length === 0) {
      const adopt = push(ctx, { type: 'import', address: idx, app: app.name, image: image.name, version: v.version, digest: found.digest, reason: ADOPT_REASON, dependsOn: [] });
      planAttestations(ctx, app, image.name, v.version, found.digest, repo, 'adopted', [adopt.id]);
      return;
    }
    reason = SINGLE_PLATFORM_REASON;
  } else if (repo.tags.has(v.version) && rec) {
    const actual = repo.tagDigests.get(v.version);
    if (!replace && (actual === undefined || actual === rec.digest)) { planAttestations(ctx, app, image.name, v.version, rec.digest, repo, rec.origin, []); return; }
    if (actual !== undefined && actual !== rec.digest) {
      ctx.drift.push({ address: idx, kind: 'moved', expected: rec.digest, actual });
      reason = 'tag drifted: registry digest differs from state';
    } else reason = REPLACE_REASON;
  } else if (rec?.type === 'index') {
    ctx.drift.push({ address: idx, kind: 'deleted', expected: rec.digest, actual: null });
    reason = 'deleted from registry outside mirror';
  } else {
    reason = missingReason(ctx, app.name, image.name, v.version);
  }
  const builds: string[] = [];
  for (const platform of app.platforms) {
    const address = buildAddress(app.name, image.name, v.version, platform);
    // A leftover image is not mirror's build, and a replaced version is rebuilt whatever the state holds.
    if (!replace && reason !== SINGLE_PLATFORM_REASON && reusableBuild(ctx.state, repo, address)) continue;
    // A build FROM another image of the app needs that image's build of the same version and platform.
    const dependsOn = image.dependsOn
      .map((base) => `build:${buildAddress(app.name, base, v.version, platform)}`)
      .filter((id) => ctx.actions.some((a) => a.id === id));
    builds.push(push(ctx, { type: 'build', address, app: app.name, image: image.name, version: v.version, platform, reason, dependsOn, ...(replace ? { replace: true } : {}) }).id);
  }
  const mergeReason = builds.length === 0 && reason !== 'tag drifted: registry digest differs from state'
    ? 'platform builds pushed in an earlier run; index missing'
    : reason;
  const merge = push(ctx, { type: 'merge', address: idx, app: app.name, image: image.name, version: v.version, reason: mergeReason, dependsOn: builds, ...(replace ? { replace: true } : {}) });
  merged.set(v.version, merge);
  const kinds = wantedKinds(app.attest);
  if (kinds.length > 0) {
    const what = kinds.map((k) => KIND_LABELS[k]).join(', ');
    push(ctx, { type: 'attest', address: idx, app: app.name, image: image.name, version: v.version, reason: `new index needs ${what}`, dependsOn: [merge.id] });
  }
}

/** An attest action for a published version whose attestations are missing or incomplete (an adopted one never gets provenance). */
function planAttestations(ctx: Ctx, app: AppSpec, image: string, version: string, digest: string, repo: ObservedRepository, origin: 'built' | 'adopted' | undefined, dependsOn: string[]) {
  const present = repo.attested?.get(digest);
  if (!present) return;
  const wanted = kindsFor(app.attest, origin);
  const missing = wanted.filter((k) => !present.includes(k));
  // More than one of a kind fails verify; attesting again replaces them all with one.
  const duplicated = wanted.filter((k) => present.filter((p) => p === k).length > 1);
  if (missing.length === 0 && duplicated.length === 0) return;
  const what = missing.map((k) => KIND_LABELS[k]).join(', ');
  const reasons = [
    ...(missing.length === 0 ? [] : [present.length === 0 ? `not attested: needs ${what}` : `attestations incomplete: missing ${what}`]),
    ...(duplicated.length === 0 ? [] : [`duplicate attestations: ${duplicated.map((k) => `${present.filter((p) => p === k).length} ${KIND_LABELS[k]}`).join(', ')}`]),
  ];
  const reason = reasons.join('; ');
  push(ctx, { type: 'attest', address: indexAddress(app.name, image, version), app: app.name, image, version, reason, dependsOn });
}

/** Which window version a registry digest belongs to, if any is known. */
function versionOfDigest(ctx: Ctx, app: AppSpec, image: string, repo: ObservedRepository, digest: string): string | undefined {
  for (const [tag, d] of repo.tagDigests) if (d === digest && semver.valid(tag)) return tag;
  return recordedOf(ctx.recorded, app.name, image).byDigest.get(digest);
}

function planFloatingTags(ctx: Ctx, app: AppSpec, image: ImageSpec, window: WindowVersion[], merged: Map<string, Action>) {
  const repo = ctx.observed.registry.get(image.name) ?? emptyRepository();
  const targets = new Map<string, string>();
  for (const template of app.floatingTags) {
    for (const { version } of window) {
      const tag = floatingTagFor(template, version);
      const current = targets.get(tag);
      if (!current || semver.gt(version, current)) targets.set(tag, version);
    }
  }
  for (const [tag, version] of targets) {
    const address = tagAddress(app.name, image.name, tag);
    const current = repo.tags.has(tag) ? repo.tagDigests.get(tag) : undefined;
    const recorded = ctx.state.resources[address];
    if (recorded?.type === 'tag' && current !== recorded.digest) {
      ctx.drift.push({ address, kind: current ? 'moved' : 'deleted', expected: recorded.digest, actual: current ?? null });
    }
    const merge = merged.get(version);
    // An adopted target is recorded by its import first, so the tag step reads its digest from the state.
    const targetAddress = indexAddress(app.name, image.name, version); // once, not once per action searched
    const adopted = ctx.actions.find((a) => a.type === 'import' && a.address === targetAddress);
    const targetDigest = merge ? undefined : repo.tagDigests.get(version);
    if (!merge && current !== undefined && current === targetDigest) continue;
    const from = current ? versionOfDigest(ctx, app, image.name, repo, current) : undefined;
    const move = { tag, version, ...(from ? { from } : current ? { fromDigest: current } : {}) };
    push(ctx, {
      type: 'tag', address, app: app.name, image: image.name, ...move,
      reason: tagMoveReason(move, ctx.drift.some((d) => d.address === address)), dependsOn: merge ? [merge.id] : adopted ? [adopted.id] : [],
    });
  }
}

/** Keep targeted actions and everything they depend on (Terraform's -target). */
function applyTargets(actions: Action[], targets: string[]): Action[] {
  const byId = new Map(actions.map((a) => [a.id, a]));
  const keep = new Set<string>();
  const add = (a: Action) => {
    // Stryker disable next-line ConditionalExpression: a visited shortcut; plan DAGs have no cycles, so the kept set is the same
    if (keep.has(a.id)) return;
    keep.add(a.id);
    // Stryker disable next-line ConditionalExpression: the diff names only planned actions as dependencies (bases filtered to planned builds)
    for (const dep of a.dependsOn) { const d = byId.get(dep); if (d) add(d); }
  };
  for (const a of actions) if (targets.some((t) => matchesTarget(a.address, t))) add(a);
  return actions.filter((a) => keep.has(a.id));
}

/** Compute the plan. */
export function diff(config: ResolvedConfig, state: State, observed: Observed, opts: DiffOptions = {}): Plan {
  const ctx: Ctx = { config, state, observed, actions: [], drift: [], replace: opts.replace ?? [], recorded: recordedByImage(state) };
  const apps: PlanApp[] = [];
  const targets = opts.targets ?? [];
  // SPEC §5 scope rule: an app outside --target was not observed (no window, no tag listing);
  // planning it anyway would read every record of it as deleted from the registry.
  const targetApps = new Set(targets.map((t) => parseAddress(t).app));
  const scoped = targets.length === 0 ? config.apps : config.apps.filter((a) => targetApps.has(a.name));
  for (const app of scoped) {
    const window = observed.windows.get(app.name) ?? [];
    const commits = Object.fromEntries(window.filter((w) => w.commit).map((w) => [w.version, w.commit as string]));
    apps.push({
      name: app.name, images: app.images.map((i) => i.name), window: window.map((w) => w.version), latest: window[0]?.version ?? null,
      tags: Object.fromEntries(window.map((w) => [w.version, w.tag])), ...(Object.keys(commits).length > 0 ? { commits } : {}),
    });
    for (const image of app.images) {
      const merged = new Map<string, Action>();
      for (const v of window) planVersion(ctx, app, image, v, merged);
      planFloatingTags(ctx, app, image, window, merged);
      if (opts.refreshOnly) ctx.drift.push(...refreshDrift(app, image.name, window, state, observed.registry.get(image.name) ?? emptyRepository(), ctx.drift));
    }
  }
  ctx.actions.push(...planRetention({ ...config, apps: scoped }, state, observed, ctx.actions, opts.now ?? new Date()));
  let actions = opts.refreshOnly ? [] : ctx.actions;
  let drift = ctx.drift;
  if (targets.length > 0) {
    actions = applyTargets(actions, targets);
    drift = drift.filter((d) => targets.some((t) => matchesTarget(d.address, t)));
  }
  const summary = countByType(actions);
  return {
    formatVersion: 1,
    createdAt: (opts.now ?? new Date()).toISOString(),
    configHash: config.hash,
    registry: config.registry.url,
    state: { lineage: opts.stateExists === false ? null : state.lineage, serial: state.serial },
    ...(opts.refreshOnly ? { refreshOnly: true } : {}),
    apps,
    actions,
    drift,
    summary,
    ...reclaimOf(actions),
  };
}
