/**
 * A registry with token auth the way ghcr.io and Docker Hub do it, in front of a real
 * Distribution: every /v2/ request needs `Authorization: Bearer`, a 401 names the token realm
 * (on another host name: `localhost` while the registry is `127.0.0.1`, as ghcr.io's realm is
 * ghcr.io/token and Docker Hub's is auth.docker.io) and the scope the request needs.
 *
 * Followed: distribution docs/spec/auth/token.md (GET realm?service&scope with Basic or no
 * credentials; anonymous pull tokens for public images) and docs/spec/auth/oauth.md (POST
 * grant_type=refresh_token|password with a form body; answers `access_token`). Each request
 * the token service answers is recorded, so tests can check the scopes mirror asked for.
 *
 * GHCR-like mode (`ghcr`) adds what ghcr.io does differently: the registry API's DELETE answers
 * 405 UNSUPPORTED, and the GitHub Packages REST API (docs.github.com/rest/packages/packages) is
 * served on the token host: `GET /users/{owner}` (type User or Organization), version listings
 * under /users or /orgs (versions named by manifest digest, newest first, paged with Link as GitHub pages, 1 per
 * page here to make paging happen), and DELETE of a version by id with a Bearer GITHUB_TOKEN.
 *
 * Referrers mode (`referrers`) adds the OCI 1.1 referrers API Distribution 2.8 lacks, as the
 * distribution spec (v1.1 spec.md "Listing Referrers", "Pushing Manifests with Subject") says: a
 * manifest PUT with a `subject` is indexed and answered with `OCI-Subject: <subject digest>`;
 * `GET /v2/<name>/referrers/<digest>` answers an image index of descriptors (artifactType from the
 * manifest, else its config media type; its annotations), filtered by `?artifactType=` with
 * `OCI-Filters-Applied`; deleting a manifest drops it. `sendSubjectHeader: false` plays a registry
 * that lists referrers but leaves the header out, which clients must answer with the tag fallback.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { startRegistry, type TestRegistry } from './registry.js';

/** What the token service was asked. */
export interface TokenRequestSeen {
  method: string;
  grant: 'basic' | 'anonymous' | 'refresh_token' | 'password';
  scopes: string[];
  service: string | null;
  granted: boolean;
}

/** Options of the token-auth registry. */
export interface TokenRegistryOptions {
  /** username → password accepted with Basic at the realm, or with grant_type=password. */
  users?: Record<string, string>;
  /** refresh (identity) token → username. */
  refreshTokens?: Record<string, string>;
  /** Anonymous callers get pull tokens (public packages on ghcr.io). */
  anonymousPull?: boolean;
  /** Serve the referrers API in front of Distribution. */
  referrers?: { sendSubjectHeader?: boolean };
  /** GHCR-like mode: DELETE is 405, the Packages API serves this owner with this token. */
  ghcr?: { owner: string; ownerType: 'User' | 'Organization'; token: string };
}

/** A request the Packages API answered. */
export interface ApiRequestSeen {
  method: string;
  path: string;
  status: number;
}

/** A running token-auth registry. */
export interface TokenRegistry {
  /** `127.0.0.1:PORT` of the registry front. */
  host: string;
  /** `http://localhost:PORT/token`. */
  realm: string;
  url(namespace?: string): string;
  tokenRequests: TokenRequestSeen[];
  /** Cross-repo mount POSTs: the source and whether the token allowed pulling from it. */
  mountRequests: { from: string; allowed: boolean }[];
  /** Referrers API requests answered (referrers mode): repository and subject digest. */
  referrersRequests: { repository: string; digest: string }[];
  /** Packages API requests (GHCR-like mode). */
  apiRequests: ApiRequestSeen[];
  /** `http://localhost:PORT`, for GITHUB_API_URL (GHCR-like mode). */
  apiUrl: string;
  /** Requests the front refused with 401 (no or insufficient token). */
  refused: () => number;
  stop(): Promise<void>;
}

const SERVICE = 'rig-registry';

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (d) => { text += d; });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** The repository and the action a /v2/ request needs (token.md: pull for reads, push for writes, delete for DELETE). */
function needed(method: string, pathname: string): { repository: string; action: string } | undefined {
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\//.exec(pathname);
  if (!m) return undefined;
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push';
  return { repository: m[1], action };
}

/** Start Distribution behind a bearer-token front and a token service on another host name. */
export async function startTokenRegistry(opts: TokenRegistryOptions = {}): Promise<TokenRegistry> {
  const backend: TestRegistry = await startRegistry();
  const tokens = new Map<string, Set<string>>();
  const tokenRequests: TokenRequestSeen[] = [];
  const mountRequests: { from: string; allowed: boolean }[] = [];
  const apiRequests: ApiRequestSeen[] = [];
  const referrersRequests: { repository: string; digest: string }[] = [];
  /** `repository@subject` → descriptors of the manifests that name it. */
  const referrerIndex = new Map<string, Record<string, unknown>[]>();
  let refused = 0;

  const grantedScopes = (scopes: string[], user: string | undefined): Set<string> => {
    const out = new Set<string>();
    for (const scope of scopes) {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || !name || !actions) continue;
      for (const action of actions.split(',')) {
        if (user || (opts.anonymousPull && action === 'pull')) out.add(`${name}:${action}`);
      }
    }
    return out;
  };
  const issue = (res: ServerResponse, granted: Set<string>) => {
    const token = randomBytes(16).toString('hex');
    tokens.set(token, granted);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  };

  const tokenServer = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (opts.ghcr && url.pathname !== '/token') {
        const status = await packagesApi(req, res, url);
        apiRequests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, status });
        return;
      }
      if (url.pathname !== '/token') { res.writeHead(404).end(); return; }
      if (req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const grant = form.get('grant_type');
        const scopes = form.getAll('scope').flatMap((s) => s.split(' '));
        let user: string | undefined;
        if (grant === 'refresh_token') user = opts.refreshTokens?.[form.get('refresh_token') ?? ''];
        else if (grant === 'password') user = opts.users?.[form.get('username') ?? ''] === form.get('password') ? form.get('username') ?? undefined : undefined;
        tokenRequests.push({ method: 'POST', grant: grant === 'password' ? 'password' : 'refresh_token', scopes, service: form.get('service'), granted: Boolean(user) });
        // oauth.md: an invalid grant is 400 invalid_grant… ghcr.io and Docker Hub answer 401; either is a refusal.
        if (!user) { res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}'); return; }
        issue(res, grantedScopes(scopes, user));
        return;
      }
      const scopes = url.searchParams.getAll('scope');
      const auth = req.headers.authorization;
      if (auth) {
        const [user, password] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
        const ok = opts.users?.[user] !== undefined && opts.users[user] === password;
        tokenRequests.push({ method: 'GET', grant: 'basic', scopes, service: url.searchParams.get('service'), granted: ok });
        if (!ok) { res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}'); return; }
        issue(res, grantedScopes(scopes, user));
        return;
      }
      tokenRequests.push({ method: 'GET', grant: 'anonymous', scopes, service: url.searchParams.get('service'), granted: Boolean(opts.anonymousPull) });
      // token.md: an anonymous token may carry fewer actions than asked (here: pull only, or none).
      issue(res, grantedScopes(scopes, undefined));
    })().catch(() => { res.writeHead(500).end(); });
  });
  const tokenPort = await listen(tokenServer, '127.0.0.1');
  const realm = `http://localhost:${tokenPort}/token`;

  /** Manifests Distribution stores for a repository (its revisions), with the tags on each. */
  const versionsOf = async (repository: string): Promise<{ id: number; digest: string; tags: string[] }[]> => {
    const root = path.join(backend.storage, 'docker/registry/v2/repositories', repository, '_manifests');
    const revisions = path.join(root, 'revisions', 'sha256');
    if (!existsSync(revisions)) return [];
    const tags = new Map<string, string[]>();
    for (const tag of existsSync(path.join(root, 'tags')) ? await readdir(path.join(root, 'tags')) : []) {
      const link = path.join(root, 'tags', tag, 'current', 'link');
      if (!existsSync(link)) continue;
      const d = (await readFile(link, 'utf8')).trim();
      tags.set(d, [...(tags.get(d) ?? []), tag]);
    }
    const out = [];
    for (const hex of await readdir(revisions)) {
      const link = path.join(revisions, hex, 'link');
      if (!existsSync(link)) continue; // deleted
      out.push({ id: Number.parseInt(hex.slice(0, 8), 16), digest: `sha256:${hex}`, tags: tags.get(`sha256:${hex}`) ?? [], created: (await stat(link)).mtimeMs });
    }
    // GitHub lists package versions newest first.
    return out.sort((a, b) => b.created - a.created || a.digest.localeCompare(b.digest));
  };

  /** The GitHub Packages API (GHCR-like mode); returns the status it answered. */
  const packagesApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<number> => {
    const ghcr = opts.ghcr!;
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
      return status;
    };
    if (req.headers.authorization !== `Bearer ${ghcr.token}`) return answer(401, { message: 'Requires authentication' });
    const user = /^\/users\/([^/]+)$/.exec(url.pathname);
    if (user) return user[1] === ghcr.owner ? answer(200, { login: ghcr.owner, type: ghcr.ownerType }) : answer(404, { message: 'Not Found' });
    const m = /^\/(users|orgs)\/([^/]+)\/packages\/container\/([^/]+)\/versions(?:\/(\d+))?$/.exec(url.pathname);
    // GitHub answers 404 for a user's package asked under /orgs, and the other way round.
    const kind = ghcr.ownerType === 'Organization' ? 'orgs' : 'users';
    if (!m || m[1] !== kind || m[2] !== ghcr.owner) return answer(404, { message: 'Not Found' });
    const repository = `${ghcr.owner}/${decodeURIComponent(m[3])}`;
    const versions = await versionsOf(repository);
    if (req.method === 'DELETE' && m[4]) {
      const v = versions.find((x) => x.id === Number(m[4]));
      if (!v) return answer(404, { message: 'Not Found' });
      const del = await fetch(`http://${backend.host}/v2/${repository}/manifests/${v.digest}`, { method: 'DELETE' });
      return answer(del.status === 202 ? 204 : 500);
    }
    if (req.method !== 'GET' || m[4]) return answer(404, { message: 'Not Found' });
    // One per page whatever was asked: every lookup past the newest version has to follow Link.
    const perPage = 1;
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = versions.slice((page - 1) * perPage, page * perPage);
    const next = page * perPage < versions.length ? `<${realm.replace(/\/token$/, '')}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"` : undefined;
    return answer(200, slice.map((v) => ({ id: v.id, name: v.digest, metadata: { package_type: 'container', container: { tags: v.tags } } })), next ? { link: next } : {});
  };

  /** A manifest PUT in referrers mode: forwarded whole, indexed by its subject, answered with OCI-Subject. */
  const putWithSubject = async (req: IncomingMessage, res: ServerResponse, repository: string) => {
    const body = Buffer.from(await readBody(req), 'utf8');
    const answer = await fetch(`http://${backend.host}${req.url}`, { method: 'PUT', headers: { 'content-type': String(req.headers['content-type'] ?? '') }, body });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => { out[k] = v; });
    let manifest: { mediaType?: string; artifactType?: string; config?: { mediaType?: string }; subject?: { digest?: string }; annotations?: Record<string, string> } = {};
    try { manifest = JSON.parse(body.toString('utf8')) as typeof manifest; } catch { /* Distribution answers it */ }
    const subject = manifest.subject?.digest;
    if (answer.status === 201 && subject) {
      const digest = out['docker-content-digest'];
      const key = `${repository}@${subject}`;
      const entry = { mediaType: manifest.mediaType ?? req.headers['content-type'], digest, size: body.length, artifactType: manifest.artifactType ?? manifest.config?.mediaType, ...(manifest.annotations ? { annotations: manifest.annotations } : {}) };
      referrerIndex.set(key, [...(referrerIndex.get(key) ?? []).filter((d) => d.digest !== digest), entry]);
      if (opts.referrers?.sendSubjectHeader !== false) out['oci-subject'] = subject;
    }
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  };

  const front = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (opts.ghcr && req.method === 'DELETE' && /^\/v2\/.+\/manifests\//.test(url.pathname)) {
      // ghcr.io: the registry API does not delete (docs: "delete … through the GitHub UI or REST API").
      res.writeHead(405, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}');
      return;
    }
    const need = needed(req.method ?? 'GET', url.pathname);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const granted = token ? tokens.get(token) : undefined;
    const allowed = granted && (!need || granted.has(`${need.repository}:${need.action}`) || (need.action === 'pull' && granted.has(`${need.repository}:push`)));
    if (!allowed) {
      refused += 1;
      const scope = need ? `,scope="repository:${need.repository}:${need.action === 'pull' ? 'pull' : need.action === 'push' ? 'pull,push' : 'delete'}"` : '';
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="${realm}",service="${SERVICE}"${scope}` });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (opts.referrers) {
      const list = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
      if (list && req.method === 'GET') {
        referrersRequests.push({ repository: list[1], digest: list[2] });
        const wanted = url.searchParams.get('artifactType');
        const all = referrerIndex.get(`${list[1]}@${list[2]}`) ?? [];
        const manifests = wanted ? all.filter((d) => d.artifactType === wanted) : all;
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', ...(wanted ? { 'oci-filters-applied': 'artifactType' } : {}) });
        res.end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
        return;
      }
      const put = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
      if (put && req.method === 'PUT') { void putWithSubject(req, res, put[1]); return; }
      if (put && req.method === 'DELETE') {
        for (const [key, list] of referrerIndex) referrerIndex.set(key, list.filter((d) => d.digest !== put[2]));
      }
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    let forwardPath = req.url ?? '/';
    // A cross-repo mount needs pull on the source repository too (distribution spec: "Mounting a
    // blob from another repository"); without it a registry starts a plain upload (202) instead.
    const from = req.method === 'POST' ? url.searchParams.get('from') : null;
    if (from) mountRequests.push({ from, allowed: Boolean(granted?.has(`${from}:pull`)) });
    if (from && !granted?.has(`${from}:pull`)) forwardPath = url.pathname;
    const upstream = httpRequest({ host: '127.0.0.1', port: Number(backend.host.split(':')[1]), method: req.method, path: forwardPath, headers }, (answer) => {
      const out = { ...answer.headers };
      // Distribution builds absolute upload Locations from the Host header it was sent, which is
      // this front's: they already point here.
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    });
    upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  const frontPort = await listen(front, '127.0.0.1');
  const host = `127.0.0.1:${frontPort}`;

  return {
    host,
    realm,
    url: (namespace = 'mirror') => `${host}/${namespace}`,
    tokenRequests,
    mountRequests,
    apiRequests,
    referrersRequests,
    apiUrl: realm.replace(/\/token$/, ''),
    refused: () => refused,
    stop: async () => {
      front.closeAllConnections(); tokenServer.closeAllConnections();
      await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => tokenServer.close(r))]);
      await backend.stop();
    },
  };
}
