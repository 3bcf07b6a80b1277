/** Pick the upstream source for an app's `upstream` block. */
import type { UpstreamConfig } from '../../config/schema.js';
import { githubReleases } from './github-releases.js';
import { gitTags } from './git-tags.js';
import { gitlabTags } from './gitlab-tags.js';
import type { UpstreamSource } from './types.js';

/** Create the source of an app's versions. Tokens come from the environment only. */
export function createUpstreamSource(app: string, cfg: UpstreamConfig, ctx: { env?: NodeJS.ProcessEnv; perPage?: number } = {}): UpstreamSource {
  const env = ctx.env ?? process.env;
  switch (cfg.type) {
    case 'github-releases':
      return githubReleases({ app, repository: cfg.repository, apiUrl: cfg.apiUrl, token: env.GITHUB_TOKEN || undefined, perPage: ctx.perPage });
    case 'gitlab-tags':
      return gitlabTags({ app, baseUrl: cfg.baseUrl, project: cfg.project, token: env.GITLAB_TOKEN || undefined, perPage: ctx.perPage });
    case 'git-tags':
      return gitTags({ app, url: cfg.url });
  }
}
