/**
 * The GitHub REST API as mirror speaks to it, in one place: its base URL (api.github.com, or a
 * GitHub Enterprise `…/api/v3` from the config or GITHUB_API_URL, without trailing slashes) and the
 * headers every call sends. Used by the releases source, the rate-limit read and the Packages API.
 */

/** The public API. */
export const GITHUB_API_URL = 'https://api.github.com';

/** The API base for `apiUrl` (undefined or empty: the public API), without trailing slashes. */
export function githubApiBase(apiUrl: string | undefined): string {
  return apiUrl?.replace(/\/+$/, '') || GITHUB_API_URL;
}

/** Headers of a GitHub API call: its media type, the API version mirror was written against, and the token when there is one. */
export function githubHeaders(token: string | undefined): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'mirror',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}
