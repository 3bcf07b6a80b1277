/**
 * Deleting a ghcr.io manifest through the GitHub Packages REST API, because ghcr.io answers the
 * registry API's DELETE with 405 UNSUPPORTED. Followed: docs.github.com/rest/packages/packages —
 *  - the owner is a user or an organization (`GET /users/{owner}` → `type`);
 *  - `GET /{orgs|users}/{owner}/packages/container/{package}/versions` lists versions (paged with
 *    Link), each `name` being the manifest digest and `id` the package version id;
 *  - `DELETE /{orgs|users}/{owner}/packages/container/{package}/versions/{id}` → 204.
 * The package of `ghcr.io/owner/a/b` is `a/b`, URL-encoded as one path segment. The token is
 * GITHUB_TOKEN (needs `delete:packages`, or `packages: write` for a workflow's own packages);
 * the API is GITHUB_API_URL (set in GitHub Actions; GitHub Enterprise), else api.github.com.
 */
import type { Dispatcher } from 'undici';
import { bodyText, dispatchTarget, requestBuffered } from '../../system/http-buffered.js';
import { debugHttp } from '../../system/debug.js';
import { nextLink } from '../../system/http-common.js';
import { DeniedError, RegistryError, RegistryUnavailableError } from './errors.js';
import { githubHeaders } from '../../system/github-api.js';

/** How to reach the API. */
export interface GithubPackagesOptions {
  apiUrl: string;
  token?: string;
  dispatcher: Dispatcher;
}

const MAX_PAGES = 50;

/** The GitHub Packages API, for container package versions. */
export class GithubPackages {
  private readonly ownerKinds = new Map<string, 'orgs' | 'users'>();
  /** Version ids by digest, per package versions URL (see deleteDigest). */
  private readonly versionIds = new Map<string, Promise<Map<string, number> | undefined>>();

  constructor(private readonly opts: GithubPackagesOptions) {}

  private async call(method: 'GET' | 'DELETE', url: string, reference: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: unknown }> {
    const headers = githubHeaders(this.opts.token);
    debugHttp('registry', method, url, undefined, headers);
    let res;
    try {
      res = await requestBuffered(this.opts.dispatcher, { ...dispatchTarget(url), method, headers, headersTimeout: 30_000, bodyTimeout: 30_000 }, {
        maxBytes: 64 * 1024 * 1024, tooLarge: () => new RegistryError(reference, `the GitHub API ${new URL(url).host} answered more than 64 MiB for ${reference}.`),
      });
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryUnavailableError(reference, `the GitHub API ${new URL(url).host} is not reachable (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'Check GITHUB_API_URL and the network.', undefined, { cause: error });
    }
    debugHttp('registry', method, url, res.statusCode, res.headers);
    const text = bodyText(res.body);
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new DeniedError(reference, `The GitHub API refused to ${method === 'DELETE' ? 'delete' : 'list'} package versions for ${reference} (${res.statusCode}).`,
        this.opts.token ? 'GITHUB_TOKEN needs delete:packages (a workflow: permissions packages: write, on its own packages).' : 'Set GITHUB_TOKEN: ghcr.io deletes go through the GitHub Packages API.', res.statusCode);
    }
    let json: unknown;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.statusCode, headers: res.headers, json };
  }

  /** Release the API's sockets. */
  async close(): Promise<void> {
    await this.opts.dispatcher.close();
  }

  private async ownerKind(owner: string, reference: string): Promise<'orgs' | 'users'> {
    const known = this.ownerKinds.get(owner);
    if (known) return known;
    const res = await this.call('GET', `${this.opts.apiUrl}/users/${encodeURIComponent(owner)}`, reference);
    if (res.status !== 200) throw new RegistryError(reference, `The GitHub API does not know the owner "${owner}" of ${reference} (HTTP ${res.status}).`);
    const kind = (res.json as { type?: string })?.type === 'Organization' ? 'orgs' : 'users';
    this.ownerKinds.set(owner, kind);
    return kind;
  }

  /**
   * Delete the package version whose name is `digest` in `repositoryPath` (`owner/pkg/…`).
   * Returns false when no such version exists (already gone).
   *
   * The versions are listed once per package and run (all pages; GitHub lists newest first and a
   * prune deletes the oldest), and each delete goes by the version's id, which a delete does not
   * change: a prune of k versions costs one listing, not k (pages cannot be resumed instead, since
   * a delete shifts every later page by one). A digest the listing lacks is looked for once more
   * in a fresh listing before it counts as gone.
   */
  async deleteDigest(repositoryPath: string, digest: string, reference: string): Promise<boolean> {
    const [owner, ...rest] = repositoryPath.split('/');
    if (!owner || rest.length === 0) throw new RegistryError(reference, `${reference} has no package under an owner (expected ghcr.io/OWNER/PACKAGE).`);
    const kind = await this.ownerKind(owner, reference);
    const base = `${this.opts.apiUrl}/${kind}/${encodeURIComponent(owner)}/packages/container/${encodeURIComponent(rest.join('/'))}/versions`;
    for (const fresh of [false, true]) {
      if (fresh) this.versionIds.delete(base);
      const ids = await this.listing(base, reference);
      const id = ids?.get(digest);
      if (id === undefined) {
        if (ids && !fresh) continue;
        return false; // no such package, or not listed even afresh
      }
      if (Number.isNaN(id)) throw new RegistryError(reference, `The GitHub API listed ${digest} without a numeric id.`);
      ids?.delete(digest);
      const del = await this.call('DELETE', `${base}/${id}`, reference);
      if (del.status === 404) return false;
      if (del.status !== 204) throw new RegistryError(reference, `The GitHub API answered HTTP ${del.status} deleting ${reference}.`, undefined, del.status);
      return true;
    }
    return false;
  }

  /** The package's version ids by digest (undefined: no such package), listed once and shared by concurrent deletes. */
  private listing(base: string, reference: string): Promise<Map<string, number> | undefined> {
    let listed = this.versionIds.get(base);
    if (!listed) {
      listed = this.listVersions(base, reference);
      this.versionIds.set(base, listed);
      listed.catch(() => this.versionIds.delete(base)); // a failed listing is asked again by the next delete
    }
    return listed;
  }

  private async listVersions(base: string, reference: string): Promise<Map<string, number> | undefined> {
    const ids = new Map<string, number>();
    let url: string | undefined = `${base}?per_page=100`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const res = await this.call('GET', url, reference);
      if (res.status === 404) return undefined;
      if (res.status !== 200 || !Array.isArray(res.json)) throw new RegistryError(reference, `The GitHub API answered HTTP ${res.status} listing the versions of ${reference}.`);
      for (const v of res.json as Array<{ id?: unknown; name?: unknown }>) {
        if (typeof v.name === 'string') ids.set(v.name, typeof v.id === 'number' ? v.id : Number.NaN); // NaN: refused if it is the one deleted
      }
      const next = nextLink(res.headers.link);
      // The token goes with every page: never to another host.
      url = next && new URL(next, url).origin === new URL(this.opts.apiUrl).origin ? new URL(next, url).href : undefined;
    }
    return ids;
  }
}
