/** GitHub releases: `GET /repos/{owner}/{repo}/releases`, following `Link: rel="next"`. */
import { z } from 'zod';
import { UpstreamError } from '../../errors.js';
import { headerOf, linkRel, nextLink } from '../../system/http-common.js';
import { getJson, type GetJsonOptions } from './http.js';
import type { UpstreamSource, UpstreamTag } from './types.js';
import { githubApiBase, githubHeaders } from '../../system/github-api.js';

const ReleasesSchema = z.array(z.object({
  tag_name: z.string(),
  draft: z.boolean(),
  prerelease: z.boolean(),
}));

/** Most pages asked at once; a longer history (or a `last` link that says so) is followed page by page. */
const MAX_PARALLEL_PAGES = 50;

/**
 * URLs of pages 2…last when page 1's Link gives `next` (page=2) and `last` (page=N) in the same
 * shape, else none (cursor pagination, or more than MAX_PARALLEL_PAGES: followed one by one).
 */
export function pageRange(next: string, link: string | undefined): string[] {
  const lastUrl = linkRel(link, 'last');
  const nextUrl = new URL(next);
  if (!lastUrl || nextUrl.searchParams.get('page') !== '2') return [];
  const last = Number(new URL(lastUrl, next).searchParams.get('page'));
  if (!Number.isInteger(last) || last < 2 || last > MAX_PARALLEL_PAGES) return [];
  return Array.from({ length: last - 1 }, (_, i) => {
    const u = new URL(nextUrl);
    u.searchParams.set('page', String(i + 2));
    return u.href;
  });
}

/** The error for a non-2xx answer GitHub gives (rate limit, bad token, no such repository). */
function statusError(opts: GithubOptions, pageUrl: string, status: number, rh: Record<string, string | string[] | undefined>): UpstreamError | undefined {
  const retryAfter = Number(headerOf(rh, 'retry-after'));
  // A short Retry-After on a 429 is a hiccup the HTTP layer waits out; an exhausted quota is not.
  if (status === 429 && headerOf(rh, 'x-ratelimit-remaining') !== '0' && retryAfter <= 10) return undefined;
  if ((status === 403 || status === 429) && (headerOf(rh, 'x-ratelimit-remaining') === '0' || headerOf(rh, 'retry-after'))) {
    const reset = Number(headerOf(rh, 'x-ratelimit-reset'));
    const when = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString()
      : Number.isFinite(retryAfter) ? `${new Date(Date.now() + retryAfter * 1000).toISOString()} (Retry-After ${retryAfter} s)` : 'an unknown time';
    return new UpstreamError(opts.app, pageUrl, `GitHub API rate limit exceeded; it resets at ${when}.`,
      opts.token ? 'Wait for the reset, or use a token with a higher limit.' : 'Set GITHUB_TOKEN (a token gets 5,000 requests an hour instead of 60), or wait for the reset.');
  }
  if (status === 401) return new UpstreamError(opts.app, pageUrl, 'GitHub rejected GITHUB_TOKEN (401).', 'Check or renew the token.');
  if (status === 404) return new UpstreamError(opts.app, pageUrl, `repository ${opts.repository} was not found (404).`, 'Check upstream.repository (owner/name); private repositories need GITHUB_TOKEN.');
  return undefined;
}

/** Options of the GitHub releases source. */
export interface GithubOptions {
  app: string;
  repository: string;
  apiUrl?: string;
  token?: string;
  perPage?: number;
  /** Answer cache and conditional-request counters, shared by the run. */
  http?: Pick<GetJsonOptions, 'cache' | 'stats'>;
}

/**
 * Releases of one GitHub repository, every page: GitHub lists by creation date, so a backport cut
 * after newer versions comes first and the newest versions can be on any page.
 */
export function githubReleases(opts: GithubOptions): UpstreamSource {
  const url = `${githubApiBase(opts.apiUrl)}/repos/${opts.repository}/releases?per_page=${opts.perPage ?? 100}`;
  const headers = githubHeaders(opts.token);
  return {
    url,
    order: 'any',
    async *pages(): AsyncIterable<UpstreamTag[]> {
      const fetchPage = async (pageUrl: string) => {
        const { data, headers: h } = await getJson(opts.app, pageUrl, ReleasesSchema, {
          headers,
          ...opts.http,
          onStatus: (status, rh) => statusError(opts, pageUrl, status, rh),
        });
        return { tags: data.map((r): UpstreamTag => ({ tag: r.tag_name, draft: r.draft, prerelease: r.prerelease })), link: headerOf(h, 'link') };
      };
      // The token goes with every page: a page on another origin would hand it to that host.
      const sameOrigin = (next: string, from: string) => {
        const abs = new URL(next, from);
        if (abs.origin !== new URL(url).origin) {
          throw new UpstreamError(opts.app, from, `its pagination Link points to another host (${abs.host}); refusing to follow it.`,
            'Check upstream.apiUrl: GitHub pages within its own API host.');
        }
        return abs.href;
      };
      const first = await fetchPage(url);
      yield first.tags;
      // Every page is needed (the listing is by date), and page 1's Link names the last one: ask
      // for the rest at once rather than one round trip per page.
      const next = nextLink(first.link);
      const rest = next ? pageRange(sameOrigin(next, url), first.link) : [];
      if (rest.length > 0) {
        const answers = rest.map((u) => fetchPage(u));
        for (const a of answers) a.catch(() => undefined); // the first failure is thrown below, in page order
        for (const a of answers) yield (await a).tags;
        return;
      }
      let pageUrl = url;
      let link = first.link;
      for (let n = nextLink(link); n; n = nextLink(link)) {
        pageUrl = sameOrigin(n, pageUrl);
        const page = await fetchPage(pageUrl);
        yield page.tags;
        link = page.link;
      }
    },
  };
}
