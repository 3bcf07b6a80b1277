/** GitHub releases: `GET /repos/{owner}/{repo}/releases`, following `Link: rel="next"`. */
import { z } from 'zod';
import { UpstreamError } from '../../errors.js';
import { headerOf, nextLink } from '../../system/http-common.js';
import { getJson } from './http.js';
import type { UpstreamSource, UpstreamTag } from './types.js';

const ReleasesSchema = z.array(z.object({
  tag_name: z.string(),
  draft: z.boolean(),
  prerelease: z.boolean(),
}));

/** Options of the GitHub releases source. */
export interface GithubOptions {
  app: string;
  repository: string;
  apiUrl?: string;
  token?: string;
  perPage?: number;
}

/** Releases of one GitHub repository, newest first as GitHub lists them. */
export function githubReleases(opts: GithubOptions): UpstreamSource {
  const base = (opts.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const url = `${base}/repos/${opts.repository}/releases?per_page=${opts.perPage ?? 100}`;
  const headers: Record<string, string> = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return {
    url,
    async *pages(): AsyncIterable<UpstreamTag[]> {
      let next: string | undefined = url;
      while (next) {
        const pageUrl: string = next;
        const { data, headers: h } = await getJson(opts.app, pageUrl, ReleasesSchema, {
          headers,
          onStatus: (status, rh) => {
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
          },
        });
        yield data.map((r) => ({ tag: r.tag_name, draft: r.draft, prerelease: r.prerelease }));
        next = nextLink(h.link);
        // The token goes with every page: a next page on another origin would hand it to that host.
        if (next && new URL(next, pageUrl).origin !== new URL(url).origin) {
          throw new UpstreamError(opts.app, pageUrl, `its pagination Link points to another host (${new URL(next, pageUrl).host}); refusing to follow it.`,
            'Check upstream.apiUrl: GitHub pages within its own API host.');
        }
        if (next) next = new URL(next, pageUrl).href;
      }
    },
  };
}
