/** GitLab repository tags: `GET /api/v4/projects/{url-encoded path}/repository/tags`, paged by `x-next-page`. */
import { z } from 'zod';
import { UpstreamError } from '../../errors.js';
import { headerOf } from '../../system/http-common.js';
import { getJson, type GetJsonOptions } from './http.js';
import type { UpstreamSource, UpstreamTag } from './types.js';

const TagsSchema = z.array(z.object({
  name: z.string(),
  commit: z.object({ id: z.string() }).nullish(),
}));

/** Options of the GitLab tags source. */
export interface GitlabOptions {
  app: string;
  baseUrl: string;
  project: string;
  token?: string;
  perPage?: number;
  /** Answer cache and conditional-request counters, shared by the run. */
  http?: Pick<GetJsonOptions, 'cache' | 'stats'>;
}

/**
 * Tags of one GitLab project (any instance), asked highest version first: GitLab's default order
 * is by update date, which puts a recently touched old tag before newer versions. Instances that
 * ignore `order_by` answer in their own order; the window notices and reads every page.
 */
export function gitlabTags(opts: GitlabOptions): UpstreamSource {
  const perPage = opts.perPage ?? 100;
  const base = `${opts.baseUrl.replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(opts.project)}/repository/tags`;
  const pageUrl = (page: number) => `${base}?per_page=${perPage}&page=${page}&order_by=version&sort=desc`;
  const headers: Record<string, string> = opts.token ? { 'private-token': opts.token } : {};
  return {
    url: base,
    order: 'version-desc',
    async *pages(): AsyncIterable<UpstreamTag[]> {
      let page = 1;
      for (;;) {
        const url = pageUrl(page);
        const { data, headers: h } = await getJson(opts.app, url, TagsSchema, {
          headers,
          ...opts.http,
          onStatus: (status, rh) => {
            if (status === 429 || (status === 403 && headerOf(rh, 'ratelimit-remaining') === '0')) {
              const reset = Number(headerOf(rh, 'ratelimit-reset'));
              const when = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : 'later';
              return new UpstreamError(opts.app, url, `GitLab API rate limit exceeded; it resets at ${when}.`, 'Wait for the reset, or set GITLAB_TOKEN.');
            }
            if (status === 404) return new UpstreamError(opts.app, url, `project ${opts.project} was not found (404).`, 'Check upstream.baseUrl and upstream.project.');
            return undefined;
          },
        });
        if (data.length === 0) return;
        yield data.map((t) => ({ tag: t.name, ...(t.commit?.id ? { commit: t.commit.id } : {}) }));
        const next = Number(headerOf(h, 'x-next-page'));
        // Stop on a short page too (some proxies drop x-next-page); "short" against the page size the
        // server says it used, since servers cap per_page below what was asked.
        const served = Number(headerOf(h, 'x-per-page')) || perPage;
        if (!Number.isInteger(next) || next <= page || data.length < served) return;
        page = next;
      }
    },
  };
}
