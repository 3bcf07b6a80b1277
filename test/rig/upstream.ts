/**
 * Upstream emulator: one loopback HTTP server answering GitHub's releases API and GitLab's tags
 * API with their real field names and pagination headers, plus static files for `requires`
 * probes and downloads. The world is mutable from tests (new release, rate limit, garbage).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A release as a test declares it; the emulator fills in the rest of GitHub's fields. Without
 * `created_at`, a list is taken as created newest first (the first entry is the latest created).
 */
export interface ReleaseInput {
  tag_name: string;
  draft?: boolean;
  prerelease?: boolean;
  name?: string;
  /** ISO time the release was created: GitHub lists by it, newest first, whatever the version. */
  created_at?: string;
}

/** A GitLab tag: a name, or a name and when its commit was last updated (GitLab's default order). */
export type TagInput = string | { name: string; updated: string };

/** How a repository or project answers. */
export type Mode = 'ok' | 'rate-limited' | 'html' | 'truncated' | 'wrong-shape' | 'not-found';
/**
 * GitLab also: `ignores-order`, a server that answers every `order_by`/`sort` in its default
 * order, as GitLab 10–12 did (gitlab-org/gitlab-ce#41697, gitlab-org/gitlab#12642) and
 * instances that predate `order_by=version` still do.
 */
export type GitlabMode = Mode | 'ignores-order';

/** A static file: a body, or a status, or a redirect to another path. */
export type FileSpec = string | Buffer | { status: number } | { redirect: string };

/** One request the emulator saw. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  /** The answer's status. */
  status?: number;
  /** When the request arrived and when its answer was sent (Date.now()): what a client waited on. */
  at: number;
  answeredAt?: number;
}

const sha = (s: string) => createHash('sha1').update(s).digest('hex');

/** The running emulator. */
export interface UpstreamEmulator {
  url: string;
  github: {
    setReleases(repository: string, releases: ReleaseInput[]): void;
    setMode(repository: string, mode: Mode): void;
    /** Start a fresh rate-limit window of `limit` requests (default 5000, a token's). */
    setRateLimit(limit: number): void;
    /** What the limit stands at. */
    rateLimit(): { limit: number; remaining: number; used: number };
    /** Answer `GET /rate_limit` this many ms late (a slow first answer: who waits on it shows). */
    delayRateLimit(ms: number): void;
    /** Answer releases pages this many ms late (a slow upstream: what does not wait on it shows). */
    delayReleases(ms: number): void;
  };
  gitlab: {
    /** `commits`: the commit each tag points at in a real fixture repository (else a made-up id). Without `updated` times the list is taken as most recently updated first. */
    setTags(project: string, tags: TagInput[], commits?: Record<string, string>): void;
    setMode(project: string, mode: GitlabMode): void;
  };
  files: { set(path: string, spec: FileSpec): void; delete(path: string): void };
  /** Largest page GitHub/GitLab will serve (real GitHub: 100). Small values force pagination. */
  setMaxPerPage(n: number): void;
  requests: SeenRequest[];
  requestCount(prefix?: string): number;
  resetRequests(): void;
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function garbage(res: ServerResponse, mode: Mode): boolean {
  const reset = String(Math.floor(Date.now() / 1000) + 1800);
  switch (mode) {
    case 'rate-limited':
      send(res, 403, JSON.stringify({ message: 'API rate limit exceeded for 127.0.0.1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' }),
        { 'content-type': 'application/json', 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, 'x-ratelimit-used': '60', 'ratelimit-remaining': '0', 'ratelimit-reset': reset });
      return true;
    case 'html':
      send(res, 200, '<!DOCTYPE html><html><body><h1>We are down for maintenance</h1></body></html>', { 'content-type': 'text/html' });
      return true;
    case 'truncated':
      send(res, 200, '[{"tag_name":"v1.0.0","draft":false,"prere', { 'content-type': 'application/json' });
      return true;
    case 'wrong-shape':
      send(res, 200, JSON.stringify({ releases: [{ tag: 'v1.0.0' }] }), { 'content-type': 'application/json' });
      return true;
    case 'not-found':
      send(res, 404, JSON.stringify({ message: 'Not Found' }), { 'content-type': 'application/json' });
      return true;
    default:
      return false;
  }
}

/**
 * GitLab's `order_by=version` (Gitlab::VersionSorter, natural order): runs of digits compare as
 * numbers, everything else as text, so v10.0.0 > v9.11.12 and v1.9.10 > v1.9.2.
 */
function versionCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    const nx = /^\d/.test(x); const ny = /^\d/.test(y);
    const c = nx && ny ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function paging(url: URL, maxPerPage: number) {
  const perPage = Math.max(1, Math.min(maxPerPage, Number(url.searchParams.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  return { perPage, page };
}

/** Start the emulator on a free loopback port. */
export async function startUpstreamEmulator(): Promise<UpstreamEmulator> {
  const releases = new Map<string, ReleaseInput[]>();
  const tags = new Map<string, TagInput[]>();
  const tagCommits = new Map<string, Record<string, string>>();
  const modes = new Map<string, GitlabMode>();
  const files = new Map<string, FileSpec>();
  const requests: SeenRequest[] = [];
  let maxPerPage = 100;
  let base = '';

  // Rate limit of the GitHub API, one bucket as for one token or address. Per GitHub's "Best
  // practices for using the REST API" (use conditional requests): a 304 does not count against the
  // primary limit when the request was authorized with an Authorization header; every other answer does.
  const rate = { limit: 5000, remaining: 5000, reset: 0, delayMs: 0, releasesDelayMs: 0 };
  const rateHeaders = () => ({
    'x-ratelimit-limit': String(rate.limit), 'x-ratelimit-remaining': String(rate.remaining), 'x-ratelimit-used': String(rate.limit - rate.remaining),
    'x-ratelimit-reset': String(rate.reset || Math.floor(Date.now() / 1000) + 3600), 'x-ratelimit-resource': 'core',
  });

  // GET /rate_limit: "Accessing this endpoint does not count against your REST API rate limit" (docs: rest/rate-limit).
  const githubRateLimit = (res: ServerResponse) => {
    const core = { limit: rate.limit, remaining: rate.remaining, used: rate.limit - rate.remaining, reset: Number(rateHeaders()['x-ratelimit-reset']) };
    send(res, 200, JSON.stringify({ resources: { core }, rate: core }), { 'content-type': 'application/json; charset=utf-8', ...rateHeaders() });
  };

  const github = (req: IncomingMessage, res: ServerResponse, url: URL, repo: string) => {
    if (garbage(res, (modes.get(`gh:${repo}`) ?? 'ok') as Mode)) return;
    if (rate.remaining <= 0) {
      return send(res, 403, JSON.stringify({ message: 'API rate limit exceeded for 127.0.0.1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' }),
        { 'content-type': 'application/json', ...rateHeaders() });
    }
    const all = releases.get(repo);
    if (!all) { rate.remaining -= 1; return send(res, 404, JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/releases/releases#list-releases' }), { 'content-type': 'application/json' }); }
    // GitHub lists releases by creation date, newest first, whatever their versions: a 9.11.x
    // backport cut after 10.0.0 comes first (docs: "List releases"; observed on api.github.com).
    const dated = all.map((r, i) => ({ r, i, created: r.created_at ?? new Date(Date.UTC(2026, 0, 1) - i * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }));
    dated.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.i - b.i));
    const { perPage, page } = paging(url, maxPerPage);
    const last = Math.max(1, Math.ceil(dated.length / perPage));
    const slice = dated.slice((page - 1) * perPage, page * perPage);
    const body = JSON.stringify(slice.map(({ r, i, created }) => {
      const id = 1000 + i;
      return {
        url: `${base}/repos/${repo}/releases/${id}`, html_url: `https://github.com/${repo}/releases/tag/${r.tag_name}`, id, node_id: `RE_${id}`,
        tag_name: r.tag_name, target_commitish: 'main', name: r.name ?? r.tag_name, draft: r.draft ?? false, prerelease: r.prerelease ?? false,
        created_at: created, published_at: r.draft ? null : created, author: { login: 'release-bot', id: 1, type: 'Bot' }, assets: [],
        tarball_url: `${base}/repos/${repo}/tarball/${r.tag_name}`, zipball_url: `${base}/repos/${repo}/zipball/${r.tag_name}`, body: '',
      };
    }));
    // Links name the host the client asked (a proxy in front, as in bench/plan --rtt).
    const self = req.headers.host ? `http://${req.headers.host}` : base;
    const link = (p: number, rel: string) => `<${self}/repos/${repo}/releases?per_page=${perPage}&page=${p}>; rel="${rel}"`;
    const links = [];
    if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    // The ETag depends on the token too: an ETag got with one token is not honoured with another (github/docs#34689).
    const etag = `W/"${createHash('sha256').update(body).update(req.headers.authorization ?? '').digest('hex').slice(0, 32)}"`;
    const authorized = req.headers.authorization !== undefined;
    if (req.headers['if-none-match'] === etag) {
      if (!authorized) rate.remaining -= 1;
      res.writeHead(304, { etag, ...rateHeaders() });
      res.end();
      return;
    }
    rate.remaining -= 1;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', etag, vary: 'Accept, Authorization, Cookie', ...rateHeaders(), 'x-github-api-version-selected': '2022-11-28' };
    if (links.length > 0) headers.link = links.join(', ');
    send(res, 200, body, headers);
  };

  const gitlab = (req: IncomingMessage, res: ServerResponse, url: URL, project: string) => {
    const mode = modes.get(`gl:${project}`) ?? 'ok';
    if (mode !== 'ignores-order' && garbage(res, mode)) return;
    const all = tags.get(project);
    if (!all) return send(res, 404, JSON.stringify({ message: '404 Project Not Found' }), { 'content-type': 'application/json' });
    // docs.gitlab.com/api/tags "List all project repository tags": order_by is name, updated or
    // version, default updated; sort asc or desc, default desc; anything else is a 400.
    const orderBy = mode === 'ignores-order' ? 'updated' : url.searchParams.get('order_by') ?? 'updated';
    const sort = mode === 'ignores-order' ? 'desc' : url.searchParams.get('sort') ?? 'desc';
    if (!['name', 'updated', 'version'].includes(orderBy)) return send(res, 400, JSON.stringify({ error: 'order_by does not have a valid value' }), { 'content-type': 'application/json' });
    if (!['asc', 'desc'].includes(sort)) return send(res, 400, JSON.stringify({ error: 'sort does not have a valid value' }), { 'content-type': 'application/json' });
    const listed = all.map((t, i) => (typeof t === 'string' ? { name: t, updated: new Date(Date.UTC(2026, 0, 1) - i * 86_400_000).toISOString() } : t));
    const byDesc = orderBy === 'version' ? (a: { name: string }, b: { name: string }) => versionCompare(b.name, a.name)
      : orderBy === 'name' ? (a: { name: string }, b: { name: string }) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)
        : (a: { updated: string }, b: { updated: string }) => (a.updated < b.updated ? 1 : a.updated > b.updated ? -1 : 0);
    listed.sort(byDesc);
    if (sort === 'asc') listed.reverse();
    const { perPage, page } = paging(url, maxPerPage);
    const total = listed.length;
    const pages = Math.max(1, Math.ceil(total / perPage));
    const slice = listed.slice((page - 1) * perPage, page * perPage);
    const body = JSON.stringify(slice.map(({ name, updated }) => {
      // GitLab's commit.id is the repository's commit: with a fixture repository behind the project, its real one.
      const id = tagCommits.get(project)?.[name] ?? sha(`${project}:${name}`);
      return {
        name, message: '', target: id, release: null, protected: false, created_at: null,
        commit: { id, short_id: id.slice(0, 8), created_at: updated, parent_ids: [], title: `Release ${name}`, message: `Release ${name}`,
          author_name: 'Release Bot', author_email: 'bot@example.invalid', authored_date: updated, committed_date: updated, web_url: `${base}/${project}/-/commit/${id}` },
      };
    }));
    // GitLab's API answers carry a weak ETag and honour If-None-Match (Rack::ETag + Rack::ConditionalGet).
    const etag = `W/"${createHash('md5').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) { res.writeHead(304, { etag }); res.end(); return; }
    send(res, 200, body, {
      'content-type': 'application/json', etag, 'x-page': String(page), 'x-per-page': String(perPage), 'x-total': String(total),
      'x-total-pages': String(pages), 'x-next-page': page < pages ? String(page + 1) : '', 'x-prev-page': page > 1 ? String(page - 1) : '',
    });
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const spec = files.get(path);
    if (spec === undefined) return send(res, 404, 'not found');
    if (typeof spec === 'object' && !Buffer.isBuffer(spec)) {
      if ('redirect' in spec) { res.writeHead(302, { location: spec.redirect, 'content-length': '0' }); res.end(); return; }
      return send(res, spec.status, '');
    }
    const body = Buffer.isBuffer(spec) ? spec : Buffer.from(spec);
    if (req.method === 'HEAD') { res.writeHead(200, { 'content-length': String(body.length) }); res.end(); return; }
    send(res, 200, body, { 'content-type': 'application/octet-stream' });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const seen: SeenRequest = { method: req.method ?? 'GET', url: url.pathname + url.search, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), at: Date.now() };
    requests.push(seen);
    res.on('finish', () => { seen.status = res.statusCode; seen.answeredAt = Date.now(); });
    const gh = /^\/repos\/([^/]+\/[^/]+)\/releases$/.exec(url.pathname);
    if (gh && req.method === 'GET') return void setTimeout(() => github(req, res, url, gh[1]), rate.releasesDelayMs);
    if (url.pathname === '/rate_limit' && req.method === 'GET') return void setTimeout(() => githubRateLimit(res), rate.delayMs);
    // GitLab wants the project path URL-encoded as one segment; a raw slash means the client forgot.
    const gl = /^\/api\/v4\/projects\/([^/]+)\/repository\/tags$/.exec(url.pathname);
    if (gl && req.method === 'GET') return gitlab(req, res, url, decodeURIComponent(gl[1]));
    serveFile(req, res, url.pathname);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    github: {
      setReleases: (repo, list) => { releases.set(repo, list); },
      setMode: (repo, mode) => { modes.set(`gh:${repo}`, mode); },
      setRateLimit: (limit) => { rate.limit = limit; rate.remaining = limit; rate.reset = 0; },
      rateLimit: () => ({ limit: rate.limit, remaining: rate.remaining, used: rate.limit - rate.remaining }),
      delayRateLimit: (ms) => { rate.delayMs = ms; },
      delayReleases: (ms) => { rate.releasesDelayMs = ms; },
    },
    gitlab: {
      setTags: (project, list, ids) => { tags.set(project, list); tagCommits.set(project, ids ?? {}); },
      setMode: (project, mode) => { modes.set(`gl:${project}`, mode); },
    },
    files: { set: (path, spec) => { files.set(path, spec); }, delete: (path) => { files.delete(path); } },
    setMaxPerPage: (n) => { maxPerPage = n; },
    requests,
    requestCount: (prefix) => requests.filter((r) => !prefix || r.url.startsWith(prefix)).length,
    resetRequests: () => { requests.length = 0; },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
