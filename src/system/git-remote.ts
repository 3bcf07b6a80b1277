/**
 * How mirror hands git a URL that carries credentials (`https://oauth2:glpat-…@host/app.git` in
 * `source.git` is a working config). On the command line the token is readable by every user of
 * the machine for as long as git runs (`ps`, /proc/<pid>/cmdline), so git gets the URL without
 * them and the credentials as an `Authorization` header in its environment (GIT_CONFIG_COUNT,
 * git ≥ 2.31), which only the same user can read. The header is scoped to the URL's origin
 * (`http.<origin>/.extraHeader`), so a redirect elsewhere does not carry it.
 */

import { AbortError } from '../errors.js';

/** A URL for git's argument list, and the environment that authenticates it. */
export interface GitRemote {
  url: string;
  env: Record<string, string>;
}

/** `%` that is not an escape stays as typed: a password may contain one. */
function decoded(part: string): string {
  try { return decodeURIComponent(part); } catch { return part; }
}

/**
 * Split `git` into a credential-free URL and the git environment carrying its credentials. The
 * entries are appended after any `GIT_CONFIG_*` entries already in `env` (a CI job's own settings
 * stay), and first reset the header list: `http.extraHeader` adds up, and a checkout made by
 * actions/checkout carries its own `Authorization` header that git would send beside ours.
 */
export function gitRemote(git: string, env: NodeJS.ProcessEnv = process.env): GitRemote {
  let url: URL;
  try { url = new URL(git); } catch { return { url: git, env: {} }; }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (!url.username && !url.password)) return { url: git, env: {} };
  const basic = Buffer.from(`${decoded(url.username)}:${decoded(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  const count = Number(env.GIT_CONFIG_COUNT);
  const n = Number.isInteger(count) && count > 0 ? count : 0;
  const key = `http.${url.origin}/.extraHeader`;
  return {
    url: url.href,
    env: {
      GIT_CONFIG_COUNT: String(n + 2),
      [`GIT_CONFIG_KEY_${n}`]: key,
      [`GIT_CONFIG_VALUE_${n}`]: '', // an empty value empties the list (git-config(1), http.extraHeader)
      [`GIT_CONFIG_KEY_${n + 1}`]: key,
      [`GIT_CONFIG_VALUE_${n + 1}`]: `Authorization: Basic ${basic}`,
    },
  };
}

/** Whether `git --version` output names a git that reads GIT_CONFIG_COUNT (2.31, March 2021). */
export function readsConfigFromEnv(versionOutput: string): boolean {
  const m = /(\d+)\.(\d+)/.exec(versionOutput);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 31);
}

let gitChecked: Promise<void> | undefined;

/**
 * gitRemote(), and when the URL carries credentials, a check (once per process) that this git
 * reads them from its environment: an older git ignores GIT_CONFIG_COUNT silently and would fail
 * with "could not read Username", far from the cause.
 */
export async function authenticatedGitRemote(git: string, env: NodeJS.ProcessEnv = process.env): Promise<GitRemote> {
  const remote = gitRemote(git, env);
  if (Object.keys(remote.env).length === 0) return remote;
  gitChecked ??= (async () => {
    const { run } = await import('./exec.js');
    const version = await run('git', ['--version']);
    if (!readsConfigFromEnv(version)) {
      throw new AbortError(`${version.trim()} cannot take the credentials in a git URL without putting them on its command line (visible to every user in ps).`,
        'Install git 2.31 or newer, or give git its credentials another way (a credential helper, an SSH URL).');
    }
  })();
  await gitChecked;
  return remote;
}
