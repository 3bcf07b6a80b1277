/** Any git remote: `git ls-remote --tags URL` (argument array, never a shell string). */
import pLimit from 'p-limit';
import { summaryLine, UpstreamError } from '../../errors.js';
import { GIT_ENV } from '../../system/git-env.js';
import { authenticatedGitRemote } from '../../system/git-remote.js';
import { GIT_PROCESSES } from '../../system/pools.js';
import type { UpstreamSource, UpstreamTag } from './types.js';

/** Parse `git ls-remote --tags` output; peeled `^{}` lines give the commit of annotated tags. */
export function parseLsRemote(stdout: string): UpstreamTag[] {
  const tags = new Map<string, UpstreamTag>();
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{40,64})\trefs\/tags\/(.+?)(\^\{\})?$/.exec(line.trim());
    if (!m) continue;
    const [, sha, name, peeled] = m;
    const existing = tags.get(name);
    if (!existing || peeled) tags.set(name, { tag: name, commit: sha });
  }
  return [...tags.values()];
}

// Every app's window starts at once; child processes are the one thing that must queue.
const gitLimit = pLimit(GIT_PROCESSES);

/** Tags of a git remote, in one page. */
export function gitTags(opts: { app: string; url: string }): UpstreamSource {
  return {
    url: opts.url,
    order: 'any',
    async *pages(): AsyncIterable<UpstreamTag[]> {
      if (opts.url.startsWith('-')) throw new UpstreamError(opts.app, opts.url, 'is not a git URL.');
      // Imported on use: plans without git-tags apps never load execa (~100 ms of start-up).
      const { execa } = await import('execa');
      // Credentials in the URL go to git in its environment, not on its command line (ps).
      const remote = await authenticatedGitRemote(opts.url);
      const result = await gitLimit(() => execa('git', ['ls-remote', '--tags', '--', remote.url], {
        reject: false, timeout: 60_000, env: { ...GIT_ENV, ...remote.env },
      }));
      if (result.exitCode !== 0) {
        throw new UpstreamError(opts.app, opts.url, `git ls-remote failed: ${summaryLine(result.stderr)}`, 'Check upstream.url and access to the remote.');
      }
      yield parseLsRemote(result.stdout);
    },
  };
}
