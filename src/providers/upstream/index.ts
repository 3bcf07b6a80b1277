/** Pick the upstream source for an app's `upstream` block. */
import { githubReleases } from './github-releases.js';
import { gitTags } from './git-tags.js';
import { gitlabTags } from './gitlab-tags.js';
import type { AnswerCache } from './answer-cache.js';
import type { ConditionalStats } from './http.js';
import type { UpstreamLocation, UpstreamSource } from './types.js';

/** What every source of a run shares: the environment (tokens), the answer cache, the counters. */
export interface UpstreamContext {
  env?: NodeJS.ProcessEnv;
  perPage?: number;
  /** Answers kept with their ETag for conditional requests; none = always ask in full. */
  cache?: AnswerCache;
  stats?: ConditionalStats;
}

/** Create the source of an app's versions. Tokens come from the environment only. */
export function createUpstreamSource(app: string, cfg: UpstreamLocation, ctx: UpstreamContext = {}): UpstreamSource {
  const env = ctx.env ?? process.env;
  const http = { cache: ctx.cache, stats: ctx.stats };
  switch (cfg.type) {
    case 'github-releases':
      return githubReleases({ app, repository: cfg.repository, apiUrl: cfg.apiUrl, token: env.GITHUB_TOKEN || undefined, perPage: ctx.perPage, http });
    case 'gitlab-tags':
      return gitlabTags({ app, baseUrl: cfg.baseUrl, project: cfg.project, token: env.GITLAB_TOKEN || undefined, perPage: ctx.perPage, http });
    case 'git-tags':
      return gitTags({ app, url: cfg.url });
  }
}

// The rest of what the plan asks of upstreams (answer cache, rate-limit budget, `requires` probes),
// so the plan depends on this module and not on the provider's internals (scripts/check-layers.mjs).
export { answerCacheDir, fileAnswerCache } from './answer-cache.js';
export { budgetShortfall, githubBudget } from './github-budget.js';
export { probe } from './http.js';
