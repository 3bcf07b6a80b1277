/**
 * Upstream provider contracts: a provider yields raw tags page by page; the window resolver
 * (plan/window.ts) filters, validates and orders them. It stops early only on a source that lists in
 * descending version order, and only once no later page can hold a version above the window.
 */

/**
 * Where an app's versions come from: the fields of the config's `upstream` block a source needs.
 * Declared here, not imported from config/, because providers sit below config; the config's
 * validated `UpstreamConfig` satisfies it.
 */
export type UpstreamLocation =
  | { type: 'github-releases'; repository: string; apiUrl?: string }
  | { type: 'gitlab-tags'; baseUrl: string; project: string }
  | { type: 'git-tags'; url: string };

/** One tag or release as the upstream lists it, before any filtering. */
export interface UpstreamTag {
  /** The tag name exactly as upstream spells it (untrusted). */
  tag: string;
  /** GitHub releases only. Drafts are always excluded. */
  draft?: boolean;
  /** GitHub's prerelease flag; semver prerelease parts count too. */
  prerelease?: boolean;
  /** Commit the tag points at, when the API says it (GitLab `commit.id`, git ls-remote). */
  commit?: string;
}

/** A source of upstream tags for one app. */
export interface UpstreamSource {
  /** The URL (or remote) asked, for messages: `https://api.github.com/repos/o/r/releases`. */
  readonly url: string;
  /**
   * How the listing is ordered: `version-desc` (GitLab asked `order_by=version&sort=desc`) lets
   * the window stop paging once the rest cannot matter; `any` (GitHub lists by creation date, git
   * in ref order) means every page is read.
   */
  readonly order: 'any' | 'version-desc';
  /** Pages of tags in the order upstream serves them; stop iterating to stop fetching. */
  pages(): AsyncIterable<UpstreamTag[]>;
}

/** One version of the window, in semver order. */
export interface WindowVersion {
  /** Clean semver (`10.3.1`), the first capture group of `tagPattern`. */
  version: string;
  /** The upstream tag it came from (`v10.3.1`, `v10.3.1-limitless`). */
  tag: string;
  /** Commit, when the upstream said it. */
  commit?: string;
}

/** The result of resolving an app's window. */
export interface ResolvedWindow {
  app: string;
  /** Newest first (semver descending), at most maxVersions. */
  versions: WindowVersion[];
  /** Things skipped and why (odd tags, failed `requires` probes). */
  warnings: string[];
  /** Upstream HTTP requests made (pages + probes), for the benchmark. */
  requests: number;
}
