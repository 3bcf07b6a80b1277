/**
 * Version window: upstream tags → validated, filtered, semver-ordered versions, at most
 * maxVersions, each available for every platform (`requires` probes).
 *
 * The window is the semver-highest N of all versions, whatever order the API lists them in. A
 * source listed by date (GitHub) or in ref order (git) is read to the end. A source listed highest
 * version first (GitLab `order_by=version`) is read until the window is full and the last tag read
 * sorts below it, so no later page can hold a version above the window; should the listing turn
 * out not to descend (an instance that ignores `order_by`), every page is read.
 */
import pLimit from 'p-limit';
import semver from 'semver';
import { renderTemplate, versionVars } from '../config/template.js';
import { UpstreamError } from '../errors.js';
import { PROBES_PER_APP } from '../system/pools.js';
import { isValidTag } from '../oci/reference.js';
import { probe } from '../providers/upstream/index.js';
import type { ResolvedWindow, UpstreamSource, UpstreamTag, WindowVersion } from '../providers/upstream/types.js';

/** Default tag pattern: `v1.2.3` or `1.2.3`. */
export const DEFAULT_TAG_PATTERN = '^v?(\\d+\\.\\d+\\.\\d+)$';
const PRERELEASE_TAG_PATTERN = '^v?(\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?)$';

const SAFE_CHARS = /^[A-Za-z0-9_.+-]+$/;

/** Filters of the window. */
export interface WindowFilter {
  tagPattern?: string;
  includePrereleases?: boolean;
  versions?: string;
}

/** Why a tag cannot be used at all, or undefined when it is safe to pass on. */
export function unsafeTagReason(tag: string): string | undefined {
  if (tag.length > 128) return 'longer than 128 characters';
  if (!SAFE_CHARS.test(tag)) return 'contains characters outside [A-Za-z0-9_.+-]';
  if (!isValidTag(tag.replace(/\+/g, '_'))) return 'is not a valid OCI tag';
  if (tag.includes('..')) return 'contains ".."';
  return undefined;
}

/**
 * Printable form of an untrusted tag for a warning, length capped. Everything outside printable
 * ASCII is escaped: JSON.stringify leaves U+202E (right-to-left override) and other format
 * characters raw, and those make a terminal show a different tag than the one skipped.
 */
export function shown(tag: string): string {
  const quoted = JSON.stringify(tag.slice(0, 80)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return tag.length > 80 ? `${quoted}…` : quoted;
}

/** Validate and filter raw tags into window candidates (pure; newest first by semver). */
export function selectCandidates(tags: UpstreamTag[], filter: WindowFilter, warn: (m: string) => void): WindowVersion[] {
  // The default pattern admits a prerelease suffix only when prereleases are wanted.
  const pattern = new RegExp(filter.tagPattern ?? (filter.includePrereleases ? PRERELEASE_TAG_PATTERN : DEFAULT_TAG_PATTERN));
  const byVersion = new Map<string, WindowVersion>();
  // Each version is parsed once and sorted by its parsed form: semver.rcompare on strings parses
  // both sides on every comparison, and the window is selected again after every page.
  const parsed = new Map<string, semver.SemVer>();
  for (const t of tags) {
    if (t.draft) continue;
    const unsafe = unsafeTagReason(t.tag);
    if (unsafe) { warn(`skipped tag ${shown(t.tag)}: ${unsafe}`); continue; }
    const m = pattern.exec(t.tag);
    if (!m) continue; // not this app's release naming (e.g. `v10.4.1` next to `v10.4.1-limitless`)
    // An optional group that took no part is undefined at runtime; semver.parse(undefined) is null.
    const sv = semver.parse(m[1]);
    if (!sv) { warn(`skipped tag ${shown(t.tag)}: "${m[1] ?? ''}" is not a semver version`); continue; }
    const version = sv.version;
    if (sv.prerelease.length > 0 || t.prerelease) {
      if (!filter.includePrereleases) continue;
    }
    if (filter.versions && !semver.satisfies(version, filter.versions, { includePrerelease: filter.includePrereleases })) continue;
    const existing = byVersion.get(version);
    if (existing) { warn(`tags ${shown(existing.tag)} and ${shown(t.tag)} both give version ${version}; keeping ${shown(existing.tag)}`); continue; }
    byVersion.set(version, { version, tag: t.tag, ...(t.commit ? { commit: t.commit } : {}) });
    parsed.set(version, sv);
  }
  return [...byVersion.values()].sort((a, b) => parsed.get(b.version)!.compare(parsed.get(a.version)!));
}

/**
 * Follows a listing that claims to descend by version: whether it really did so far, and whether
 * everything still to come sorts below a version. Tags are read as GitLab's version sort reads
 * them, by their leading numbers (`semver.coerce`); tags without numbers say nothing.
 */
export function descentTracker() {
  // While the listing descends, the last version read is also the lowest; once it has not, nothing is trusted.
  let last: string | undefined;
  let descending = true;
  return {
    add(tags: UpstreamTag[]): void {
      for (const t of tags) {
        const v = t.tag.length <= 128 ? semver.coerce(t.tag)?.version : undefined; // longer tags are skipped anyway
        if (!v) continue;
        if (last && semver.gt(v, last)) descending = false;
        last = v;
      }
    },
    /** True when the listing has descended so far and its last version is below `version`. */
    below(version: string): boolean {
      return descending && last !== undefined && semver.lt(last, version);
    },
  };
}

/**
 * Why a window is empty, in the words of what upstream returned ("12 tags, none matches tagPattern
 * …"): a plan with nothing to do for an app must say whether that is because upstream has nothing
 * or because the filters let nothing through (a wrong tagPattern silently mirrors nothing).
 */
export function emptyWindowReason(tags: UpstreamTag[], filter: WindowFilter, droppedByRequires: number): string {
  const published = tags.filter((t) => !t.draft);
  const noun = (n: number) => `${n} tag${n === 1 ? '' : 's'}`;
  if (published.length === 0) return `the window is empty: upstream returned no tags${tags.length > 0 ? ` (only ${tags.length} draft${tags.length === 1 ? '' : 's'})` : ''}`;
  const pattern = filter.tagPattern ?? (filter.includePrereleases ? PRERELEASE_TAG_PATTERN : DEFAULT_TAG_PATTERN);
  const re = new RegExp(pattern);
  const matching = published.filter((t) => re.test(t.tag));
  const examples = published.slice(0, 3).map((t) => shown(t.tag)).join(', ');
  if (matching.length === 0) return `the window is empty: upstream returned ${noun(published.length)}, none matches tagPattern ${pattern} (e.g. ${examples}${published.length > 3 ? ', …' : ''})`;
  const head = `the window is empty: upstream returned ${noun(published.length)}, ${matching.length} match${matching.length === 1 ? 'es' : ''} tagPattern`;
  if (droppedByRequires > 0) return `${head}, and every candidate was dropped because a required URL did not answer (see the warnings above)`;
  // Tags the pattern captures but that give no semver version (`v1.0`), or are unsafe, are not prereleases.
  const usable = selectCandidates(matching, { tagPattern: pattern, includePrereleases: true }, () => undefined);
  if (usable.length === 0) return `${head}, none is a usable version (see the warnings above)`;
  const stable = selectCandidates(matching, { ...filter, versions: undefined }, () => undefined);
  // With includePrereleases every usable version counts, so only excluded prereleases leave none.
  if (stable.length === 0) return `${head}, none is a stable release (prereleases are excluded; includePrereleases: true admits them)`;
  // Usable stable versions and no drop by requires: only the versions range can have emptied the window.
  return `${head}, none satisfies versions ${filter.versions} (newest: ${stable[0].version})`;
}

/** Inputs of window resolution. */
export interface ResolveWindowOptions extends WindowFilter {
  app: string;
  source: UpstreamSource;
  maxVersions: number;
  requires?: string[];
  platforms: string[];
  registry?: string;
  warn?: (message: string) => void;
  /** Replaceable for tests; default HEAD with redirects. */
  probe?: (url: string) => Promise<{ ok: boolean; status: number | string; transient?: boolean }>;
}

/** Resolve an app's window, fetching pages and probing only as much as needed. */
export async function resolveWindow(opts: ResolveWindowOptions): Promise<ResolvedWindow> {
  const warnings: string[] = [];
  const warn = (m: string) => { warnings.push(m); opts.warn?.(m); };
  const doProbe = opts.probe ?? probe;
  const limit = pLimit(PROBES_PER_APP);
  const raw: UpstreamTag[] = [];
  const rejected = new Set<string>();
  const accepted = new Map<string, WindowVersion>();
  let requests = 0;
  const pages = opts.source.pages()[Symbol.asyncIterator]();
  let exhausted = false;
  const listing = descentTracker();

  const candidates = () => selectCandidates(raw, opts, () => undefined).filter((c) => !rejected.has(c.version));
  const checkAvailable = async (v: WindowVersion): Promise<boolean> => {
    for (const template of opts.requires ?? []) {
      const urls = opts.platforms.map((p) => renderTemplate(template, versionVars(v.version, v.tag, p, opts.registry)));
      const results = await Promise.all([...new Set(urls)].map((url) => limit(async () => { requests++; return { url, ...(await doProbe(url)) }; })));
      // A server error is not "not published yet": dropping the version would move latest backwards.
      const unknown = results.find((r) => !r.ok && r.transient);
      if (unknown) {
        throw new UpstreamError(opts.app, unknown.url, `required file could not be checked for ${v.version} (answered ${unknown.status} after retries).`, 'Run again later; the version is neither built nor dropped meanwhile.');
      }
      const failed = results.find((r) => !r.ok);
      if (failed) { warn(`dropped ${v.version}: required ${failed.url} answered ${failed.status}`); return false; }
    }
    return true;
  };

  // Only a listing by version can stop early; any other order is read to the end before selecting.
  const descends = opts.source.order === 'version-desc';
  // Read until the window is known, probe its unchecked versions, and again while probes drop some.
  for (;;) {
    let cands = candidates();
    // Only a version-desc listing is tracked (`listing.add`), so only it can be full before its end.
    const full = () => cands.length >= opts.maxVersions && listing.below(cands[opts.maxVersions - 1].version);
    while (!exhausted && !full()) {
      const next = await pages.next();
      // Stryker disable next-line BooleanLiteral: a finished iterator answers done again; the flag only saves asking it
      if (next.done) { exhausted = true; break; }
      requests++;
      raw.push(...next.value);
      if (descends) { listing.add(next.value); cands = candidates(); }
    }
    // Stryker disable next-line ConditionalExpression: for a listing by version cands is already current; recomputing it is only slower
    if (!descends) cands = candidates();
    const top = cands.slice(0, opts.maxVersions);
    const unchecked = top.filter((c) => !accepted.has(c.version));
    if (unchecked.length === 0) {
      // Warnings about skipped tags are reported once, for the tags that were actually read.
      selectCandidates(raw, opts, warn);
      if (top.length === 0) warn(emptyWindowReason(raw, opts, rejected.size));
      return { app: opts.app, versions: top, warnings, requests };
    }
    const ok = await Promise.all(unchecked.map(async (c) => [c, await checkAvailable(c)] as const));
    for (const [c, good] of ok) (good ? accepted.set(c.version, c) : rejected.add(c.version));
  }
}
