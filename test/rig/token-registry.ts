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
 * Modes: `ghcr` (405 on DELETE, the GitHub Packages API on the realm's host: packages-api.ts) and
 * `referrers` (the OCI 1.1 referrers API Distribution 2.8 lacks: referrers-api.ts).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { servePackagesApi, type GhcrSettings } from './packages-api.js';
import { ReferrersApi } from './referrers-api.js';
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
  ghcr?: GhcrSettings;
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
  /** Every token issued so far stops working, as when their `expires_in` has passed. */
  expireTokens(): void;
  /** The next `n` token requests are answered 503 (the token service hiccups). */
  failTokenRequests(n: number): void;
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
  const referrers = opts.referrers ? new ReferrersApi(backend.host, opts.referrers.sendSubjectHeader !== false) : undefined;
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

  let failing = 0;
  const tokenServer = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/token' && failing > 0) {
        failing -= 1;
        res.writeHead(503).end();
        return;
      }
      if (opts.ghcr && url.pathname !== '/token') {
        const status = await servePackagesApi({ backend, ghcr: opts.ghcr, apiBase: realm.replace(/\/token$/, '') }, req, res, url);
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
    if (referrers?.handle(req, res, url)) return;
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
    referrersRequests: referrers?.requests ?? [],
    apiUrl: realm.replace(/\/token$/, ''),
    refused: () => refused,
    expireTokens: () => tokens.clear(),
    failTokenRequests: (n: number) => { failing = n; },
    stop: async () => {
      front.closeAllConnections(); tokenServer.closeAllConnections();
      await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => tokenServer.close(r))]);
      await backend.stop();
    },
  };
}
