/**
 * How mirror hands git a URL that carries credentials (`https://oauth2:glpat-…@host/app.git` in
 * `source.git` is a working config). On the command line the token is readable by every user of
 * the machine for as long as git runs (`ps`, /proc/<pid>/cmdline), so git gets the URL without
 * them and the credentials as an `Authorization` header in its environment (GIT_CONFIG_COUNT,
 * git ≥ 2.31), which only the same user can read. The header is scoped to the URL's origin
 * (`http.<origin>/.extraHeader`), so a redirect elsewhere does not carry it.
 */

/** A URL for git's argument list, and the environment that authenticates it. */
export interface GitRemote {
  url: string;
  env: Record<string, string>;
}

/**
 * Split `git` into a credential-free URL and the git environment carrying its credentials. The
 * entry is appended after any `GIT_CONFIG_*` entries already in `env` (a CI job's own settings stay).
 */
export function gitRemote(git: string, env: NodeJS.ProcessEnv = process.env): GitRemote {
  let url: URL;
  try { url = new URL(git); } catch { return { url: git, env: {} }; }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (!url.username && !url.password)) return { url: git, env: {} };
  const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  const count = Number(env.GIT_CONFIG_COUNT);
  const n = Number.isInteger(count) && count > 0 ? count : 0;
  return {
    url: url.href,
    env: {
      GIT_CONFIG_COUNT: String(n + 1),
      [`GIT_CONFIG_KEY_${n}`]: `http.${url.origin}/.extraHeader`,
      [`GIT_CONFIG_VALUE_${n}`]: `Authorization: Basic ${basic}`,
    },
  };
}
