/**
 * Upstream emulator: one loopback HTTP server answering GitHub's releases API and GitLab's tags
 * API with their real field names and pagination headers, plus static files for `requires`
 * probes and downloads. The world is mutable from tests (new release, rate limit, garbage).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A release as a test declares it; the emulator fills in the rest of GitHub's fields. */
export interface ReleaseInput {
  tag_name: string;
  draft?: boolean;
  prerelease?: boolean;
  name?: string;
}

/** How a repository or project answers. */
export type Mode = 'ok' | 'rate-limited' | 'html' | 'truncated' | 'wrong-shape' | 'not-found';

/** A static file: a body, or a status, or a redirect to another path. */
export type FileSpec = string | Buffer | { status: number } | { redirect: string };

/** One request the emulator saw. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
}

const sha = (s: string) => createHash('sha1').update(s).digest('hex');

/** The running emulator. */
export interface UpstreamEmulator {
  url: string;
  github: {
    setReleases(repository: string, releases: ReleaseInput[]): void;
    setMode(repository: string, mode: Mode): void;
  };
  gitlab: {
    /** `commits`: the commit each tag points at in a real fixture repository (else a made-up id). */
    setTags(project: string, tags: string[], commits?: Record<string, string>): void;
    setMode(project: string, mode: Mode): void;
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

function paging(url: URL, maxPerPage: number) {
  const perPage = Math.max(1, Math.min(maxPerPage, Number(url.searchParams.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  return { perPage, page };
}

/** Start the emulator on a free loopback port. */
export async function startUpstreamEmulator(): Promise<UpstreamEmulator> {
  const releases = new Map<string, ReleaseInput[]>();
  const tags = new Map<string, string[]>();
  const tagCommits = new Map<string, Record<string, string>>();
  const modes = new Map<string, Mode>();
  const files = new Map<string, FileSpec>();
  const requests: SeenRequest[] = [];
  let maxPerPage = 100;
  let base = '';

  const github = (res: ServerResponse, url: URL, repo: string) => {
    if (garbage(res, modes.get(`gh:${repo}`) ?? 'ok')) return;
    const all = releases.get(repo);
    if (!all) return send(res, 404, JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/releases/releases#list-releases' }), { 'content-type': 'application/json' });
    const { perPage, page } = paging(url, maxPerPage);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const body = slice.map((r, i) => {
      const id = 1000 + (page - 1) * perPage + i;
      const date = new Date(Date.UTC(2026, 0, 1) - id * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return {
        url: `${base}/repos/${repo}/releases/${id}`, html_url: `https://github.com/${repo}/releases/tag/${r.tag_name}`, id, node_id: `RE_${id}`,
        tag_name: r.tag_name, target_commitish: 'main', name: r.name ?? r.tag_name, draft: r.draft ?? false, prerelease: r.prerelease ?? false,
        created_at: date, published_at: r.draft ? null : date, author: { login: 'release-bot', id: 1, type: 'Bot' }, assets: [],
        tarball_url: `${base}/repos/${repo}/tarball/${r.tag_name}`, zipball_url: `${base}/repos/${repo}/zipball/${r.tag_name}`, body: '',
      };
    });
    const link = (p: number, rel: string) => `<${base}/repos/${repo}/releases?per_page=${perPage}&page=${p}>; rel="${rel}"`;
    const links = [];
    if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8', 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '59',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600), 'x-github-api-version-selected': '2022-11-28',
    };
    if (links.length > 0) headers.link = links.join(', ');
    send(res, 200, JSON.stringify(body), headers);
  };

  const gitlab = (res: ServerResponse, url: URL, project: string) => {
    if (garbage(res, modes.get(`gl:${project}`) ?? 'ok')) return;
    const all = tags.get(project);
    if (!all) return send(res, 404, JSON.stringify({ message: '404 Project Not Found' }), { 'content-type': 'application/json' });
    const { perPage, page } = paging(url, maxPerPage);
    const total = all.length;
    const pages = Math.max(1, Math.ceil(total / perPage));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const body = slice.map((name) => {
      // GitLab's commit.id is the repository's commit: with a fixture repository behind the project, its real one.
      const id = tagCommits.get(project)?.[name] ?? sha(`${project}:${name}`);
      return {
        name, message: '', target: id, release: null, protected: false, created_at: null,
        commit: { id, short_id: id.slice(0, 8), created_at: '2026-01-01T00:00:00.000+00:00', parent_ids: [], title: `Release ${name}`, message: `Release ${name}`,
          author_name: 'Release Bot', author_email: 'bot@example.invalid', authored_date: '2026-01-01T00:00:00.000+00:00', web_url: `${base}/${project}/-/commit/${id}` },
      };
    });
    send(res, 200, JSON.stringify(body), {
      'content-type': 'application/json', 'x-page': String(page), 'x-per-page': String(perPage), 'x-total': String(total),
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
    requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const gh = /^\/repos\/([^/]+\/[^/]+)\/releases$/.exec(url.pathname);
    if (gh && req.method === 'GET') return github(res, url, gh[1]);
    // GitLab wants the project path URL-encoded as one segment; a raw slash means the client forgot.
    const gl = /^\/api\/v4\/projects\/([^/]+)\/repository\/tags$/.exec(url.pathname);
    if (gl && req.method === 'GET') return gitlab(res, url, decodeURIComponent(gl[1]));
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
