/**
 * HTTP layer of the registry client: one keep-alive pool per registry, a concurrency limit,
 * auth challenges (Bearer token as GHCR and Docker Hub do, or Basic as htpasswd registries do),
 * and retries with backoff on 429/5xx/resets honouring Retry-After. Credentials are sent only to
 * the registry host and its token realm, never to a redirect target on another host.
 *
 * TLS is verified. `insecure` (Docker's insecure-registries) means, for this host only: try HTTPS
 * without verifying the certificate, and fall back to plain HTTP when the host does not speak TLS.
 * Nothing else (token realms and CDNs on other hosts, the upstream APIs) is relaxed by it.
 */
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Dispatcher } from 'undici';
import { debugHttp } from '../../system/debug.js';
import { createDispatcher } from '../../system/dispatcher.js';
import { bodyText, dispatchTarget, requestBuffered, type BufferedAnswer, type BufferedOptions } from '../../system/http-buffered.js';
import { KEEP_ALIVE_AFTER_HEAD, REGISTRY_CONNECTIONS, REGISTRY_PIPELINING } from '../../system/pools.js';
import { headerOf, RETRY_BASE_MS, retryAfterMs, sleep } from '../../system/http-common.js';
import { certificateError, TRUST_HINT } from '../../system/tls.js';
import { preferredChallenge } from '../../system/www-authenticate.js';
import type { Credentials } from './credentials.js';
import {
  DeniedError, RateLimitedError, RegistryError, RegistryUnavailableError, UnauthorizedError,
} from './errors.js';
import type { RequestStats } from './types.js';
import { assertRealmScheme } from './token-realm.js';

/** One request to the registry API. */
export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE' | 'PATCH';
  /** Path and query (`/v2/ns/app/tags/list`) or an absolute URL on the registry host (upload Location). */
  path: string;
  /** Counter name for stats (`tags/list`, `manifest:HEAD`, …). */
  kind: string;
  /** Repository for the token scope. */
  repository: string;
  /** Reference for error messages (`host/ns/app:1.0.0`). */
  reference: string;
  headers?: Record<string, string>;
  /**
   * Bytes, or a function that opens the body as a stream (a blob on disk): called again for a
   * retry, so a large upload is never held in memory and can still be sent twice.
   */
  body?: Uint8Array | (() => Readable);
  /** Other repositories the token must cover (`repository:base:pull` for a cross-repo mount). */
  extraScopes?: string[];
  /** Return every answer and network error to the caller (chunked uploads resume from the registry's Range instead). */
  noRetry?: boolean;
  /** Wait this long for the answer's headers (a large upload sends for minutes first). */
  headersTimeoutMs?: number;
  /** Abort the request (Ctrl-C during a blob upload); it is not retried then. */
  signal?: AbortSignal;
  /** Largest body accepted for this request (manifests: 4 MiB), else the transport's limit. */
  maxBodyBytes?: number;
  /**
   * For content-addressed reads: false when a 200 body is not the content asked for. Such an
   * answer is retried like a reset (a proxy or CDN that cut or mangled the transfer); the caller
   * still checks the final answer and refuses it.
   */
  intact?: (body: Buffer, headers: RegistryResponse['headers']) => boolean;
}

/** A response with its body read. */
export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Transport options. */
export interface RegistryHttpOptions {
  host: string;
  insecure: boolean;
  credentials: () => Promise<Credentials>;
  concurrency?: number;
  retries?: number;
  retryBaseMs?: number;
  maxBodyBytes?: number;
  /** Environment for proxy settings (HTTPS_PROXY/HTTP_PROXY/NO_PROXY); the process env when absent. */
  env?: NodeJS.ProcessEnv;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
/** A token answer is a few KB of JSON (a JWT); anything far larger is not one. */
const TOKEN_ANSWER_BYTES = 1024 * 1024;
const RETRY_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The challenge to answer from WWW-Authenticate field values (RFC 7235; Bearer preferred when several are offered). */
export function parseChallenge(header: string | string[]): { scheme: string; params: Record<string, string> } {
  const c = preferredChallenge(header);
  return { scheme: c?.scheme ?? '', params: c?.params ?? {} };
}

/**
 * The token request for `creds` at realm `url` (which already carries service and scope): a GET
 * with Basic credentials (or none: anonymous pull), or for an identity token the OAuth2 POST.
 * `headers` is filled in place.
 */
export function tokenRequest(url: URL, creds: Credentials, headers: Record<string, string>): { method: 'GET' | 'POST'; body?: string } {
  if (creds.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'mirror' });
    const service = url.searchParams.get('service');
    if (service) form.set('service', service);
    for (const scope of url.searchParams.getAll('scope')) form.append('scope', scope);
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { method: 'POST', body: form.toString() };
  }
  if (creds.username || creds.password) headers.authorization = `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
  return { method: 'GET' };
}

/** Whether `host[:port]` completes a TLS handshake (certificate not checked): how an insecure registry picks https or http. */
export function speaksTls(host: string, timeoutMs = 5000): Promise<boolean> {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  const hostname = (m?.[1] ?? host).replace(/^\[|\]$/g, '');
  const port = Number(m?.[2] ?? 443);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: hostname, port, rejectUnauthorized: false, ...(isIP(hostname) ? {} : { servername: hostname }) });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(timeoutMs, () => done(false));
  });
}

/** The registry transport. */
export class RegistryHttp {
  private originValue: string;
  private pool?: Dispatcher;
  private ready?: Promise<Dispatcher>;
  /** Token realms and blob CDNs on other hosts: verified TLS, same proxy settings. */
  private realm?: Dispatcher;
  /** Only for a token realm on the insecure registry's own host. */
  private insecureRealm?: Dispatcher;
  /** Requests in flight: one per connection, … */
  private readonly limit: LimitFunction;
  /** … and for HEADs, every connection's pipeline full (pools.ts REGISTRY_PIPELINING). */
  private readonly headLimit: LimitFunction;
  /** Bearer tokens by scope, shared by the requests that wait for the same one (fetched once). */
  private readonly tokens = new Map<string, Promise<string>>();
  private challenge?: { scheme: string; params: Record<string, string> };
  private creds?: Promise<Credentials>;
  private readonly counters: RequestStats = { requests: 0, byKind: {} };

  constructor(private readonly opts: RegistryHttpOptions) {
    this.originValue = `https://${opts.host}`;
    const connections = opts.concurrency ?? REGISTRY_CONNECTIONS;
    this.limit = pLimit(connections);
    this.headLimit = pLimit(connections * REGISTRY_PIPELINING);
  }

  /** Token realms and blob redirects on other hosts: a pool made on first use (a registry without either never needs it). */
  private realmAgent(): Dispatcher {
    this.realm ??= createDispatcher({ env: this.opts.env });
    return this.realm;
  }

  private insecureRealmAgent(): Dispatcher {
    this.insecureRealm ??= createDispatcher({ env: this.opts.env, insecure: true });
    return this.insecureRealm;
  }

  /** `https://host` or, for an insecure registry that does not speak TLS, `http://host` (known after the first request). */
  get origin(): string {
    return this.originValue;
  }

  /** The connection pool, once the scheme is known (an insecure registry is asked once whether it speaks TLS). */
  private connection(): Promise<Dispatcher> {
    this.ready ??= (async () => {
      // Through a proxy the TLS question is asked of the registry all the same: an insecure
      // registry that needs a proxy to be reached is not a case mirror serves (it is local).
      const tls = !this.opts.insecure || (await speaksTls(this.opts.host));
      this.originValue = `${tls ? 'https' : 'http'}://${this.opts.host}`;
      this.pool = createDispatcher({
        env: this.opts.env, connections: this.opts.concurrency ?? REGISTRY_CONNECTIONS, pipelining: REGISTRY_PIPELINING, insecure: tls && this.opts.insecure,
      });
      return this.pool;
    })();
    return this.ready;
  }

  /** The error for a failed connection: an untrusted certificate says how to trust it. */
  private unreachable(req: RegistryRequest, error: unknown): RegistryUnavailableError {
    const cert = certificateError(error);
    if (cert) {
      return new RegistryUnavailableError(req.reference, `Registry ${this.opts.host} presents a TLS certificate mirror cannot verify (${cert}).`,
        `${TRUST_HINT}; or, for a registry you run yourself, set registry.insecure: true (no verification, for the host of registry.url only).`, undefined, { cause: error });
    }
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return new RegistryUnavailableError(req.reference, `Registry ${this.opts.host} is not reachable: ${code || (error as Error).message}.`,
      this.opts.insecure ? 'Check that the registry is running and the host:port is right.' : 'Check that the registry is running; a plain-HTTP registry needs registry.insecure: true.', undefined, { cause: error });
  }

  /** Request counters. */
  stats(): RequestStats {
    return { requests: this.counters.requests, byKind: { ...this.counters.byKind } };
  }

  private credentials(): Promise<Credentials> {
    this.creds ??= this.opts.credentials();
    return this.creds;
  }

  /** The token scope(s) of a request, space-separated (also the token cache key). */
  private scope(req: RegistryRequest): string {
    const actions = req.method === 'DELETE' ? 'pull,push,delete' : req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'pull,push';
    return [`repository:${req.repository}:${actions}`, ...(req.extraScopes ?? [])].join(' ');
  }

  private async authHeader(req: RegistryRequest): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    const creds = await this.credentials();
    if (this.challenge.scheme === 'basic') {
      // An identity token is only good at a token realm; Basic needs a password.
      if (!creds.password) return undefined;
      return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
    }
    if (this.challenge.scheme === 'bearer') {
      const scope = this.scope(req);
      let token = this.tokens.get(scope);
      if (!token) {
        const fetching = this.fetchToken(scope, creds, req.reference);
        this.tokens.set(scope, fetching);
        // A failed fetch is not kept: the next request of that scope asks again.
        fetching.catch(() => { if (this.tokens.get(scope) === fetching) this.tokens.delete(scope); });
        token = fetching;
      }
      return `Bearer ${await token}`;
    }
    return undefined;
  }

  /** Drop the cached token of `scope` if it is the one `sent` carried (not one fetched since). */
  private async forgetToken(scope: string, sent: string): Promise<void> {
    const cached = this.tokens.get(scope);
    if (!cached) return;
    const value = await cached.catch(() => undefined);
    if (this.tokens.get(scope) === cached && (value === undefined || `Bearer ${value}` === sent)) this.tokens.delete(scope);
  }

  private async fetchToken(scope: string, creds: Credentials, reference: string): Promise<string> {
    const { realm, service } = this.challenge?.params ?? {};
    if (!realm) throw new RegistryError(reference, `registry ${this.opts.host} asked for a bearer token without a realm.`);
    const url = new URL(realm);
    assertRealmScheme(url, this.origin, reference);
    if (service) url.searchParams.set('service', service);
    // One scope parameter per scope (distribution docs/spec/auth/scope.md).
    url.searchParams.delete('scope');
    for (const one of scope.split(' ')) url.searchParams.append('scope', one);
    const headers: Record<string, string> = { 'user-agent': 'mirror' };
    // An identity (refresh) token is exchanged with the OAuth2 POST form (distribution's
    // docs/spec/auth/oauth.md, grant_type=refresh_token); a username/password goes as Basic on a GET.
    const { method, body } = tokenRequest(url, creds, headers);
    // Every request waiting for this scope waits for this fetch: a hiccup of the token service
    // (a reset, a 429 or 5xx) is retried as the registry's own answers are.
    const retries = this.opts.retries ?? 4;
    let res;
    for (let attempt = 0; ; attempt++) {
      this.count('token');
      try {
        debugHttp('registry', method, url.href, undefined, headers);
        const sameInsecureHost = this.opts.insecure && url.host === this.opts.host;
        res = await requestBuffered(sameInsecureHost ? this.insecureRealmAgent() : this.realmAgent(), {
          ...dispatchTarget(url), method, headers, body, headersTimeout: 30_000, bodyTimeout: 30_000,
        }, { maxBytes: TOKEN_ANSWER_BYTES, tooLarge: () => new RegistryError(reference, `token service of registry ${this.opts.host} answered more than ${TOKEN_ANSWER_BYTES} bytes.`) });
        // The token is in the body, which is never logged.
        debugHttp('registry', method, url.href, res.statusCode, res.headers);
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        if (certificateError(error)) throw this.unreachable({ reference } as RegistryRequest, error);
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (RETRY_CODES.has(code) && attempt < retries) { await sleep(this.backoffMs(attempt)); continue; }
        throw new RegistryUnavailableError(reference, `token service ${url.host} of registry ${this.opts.host} is not reachable (${code || 'error'}).`, undefined, undefined, { cause: error });
      }
      if ((RETRY_STATUS.has(res.statusCode) || res.statusCode >= 500) && attempt < retries) { await sleep(this.backoffMs(attempt, headerOf(res.headers, 'retry-after'))); continue; }
      break;
    }
    const text = bodyText(res.body);
    if (res.statusCode === 401 || res.statusCode === 403) throw this.unauthorized(reference, creds);
    if (res.statusCode !== 200) throw new RegistryError(reference, `token service of registry ${this.opts.host} answered HTTP ${res.statusCode}.`);
    try {
      const json = JSON.parse(text) as { token?: string; access_token?: string };
      const token = json.token ?? json.access_token;
      if (!token) throw new Error('no token');
      return token;
    } catch {
      throw new RegistryError(reference, `token service of registry ${this.opts.host} answered without a token.`);
    }
  }

  private unauthorized(reference: string, creds: Credentials): UnauthorizedError {
    return creds.source === 'anonymous'
      ? new UnauthorizedError(reference, `Registry ${this.opts.host} requires credentials for ${reference} and none were found (looked in: ${creds.searched.join('; ')}).`,
        'Set registry.username/password (e.g. env:MIRROR_REGISTRY_PASSWORD) or run `docker login` / `buildah login`.', 401)
      : new UnauthorizedError(reference, `Registry ${this.opts.host} rejected the credentials from ${creds.source} (${creds.identityToken && !creds.password ? 'identity token' : `user "${creds.username ?? ''}"`}) for ${reference}.`,
        'Check the username and password or token, and that it may push to this repository.', 401);
  }

  private count(kind: string) {
    this.counters.requests += 1;
    this.counters.byKind[kind] = (this.counters.byKind[kind] ?? 0) + 1;
  }

  /** Count a request made outside this transport (the GitHub Packages API) under `kind`. */
  countKind(kind: string): void {
    this.count(kind);
  }

  /** Add blob bytes sent to the `upload:bytes` counter (not a request). */
  countBytes(n: number): void {
    this.counters.byKind['upload:bytes'] = (this.counters.byKind['upload:bytes'] ?? 0) + n;
  }

  /** Send a request with auth and retries; non-2xx answers are returned for the caller to map, except auth and exhausted retries. */
  send(req: RegistryRequest): Promise<RegistryResponse> {
    return (req.method === 'HEAD' ? this.headLimit : this.limit)(() => this.sendNow(req));
  }

  /** The wait before attempt `attempt + 1`: exponential with jitter, or the server's Retry-After when it gave one (capped). */
  private backoffMs(attempt: number, retryAfter?: string): number {
    const wait = (this.opts.retryBaseMs ?? RETRY_BASE_MS) * 2 ** attempt * (0.5 + Math.random());
    return retryAfterMs(retryAfter, wait);
  }

  private async sendNow(req: RegistryRequest): Promise<RegistryResponse> {
    const retries = this.opts.retries ?? 4;
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'user-agent': 'mirror', ...req.headers };
      const auth = await this.authHeader(req);
      if (auth) headers.authorization = auth;
      const backoff = this.backoffMs(attempt);
      let res: BufferedAnswer;
      let body: Buffer;
      this.count(req.kind);
      try {
        const pool = await this.connection();
        const url = req.path.startsWith('http') ? new URL(req.path) : new URL(req.path, this.origin);
        if (url.origin !== this.origin) throw new RegistryError(req.reference, `registry ${this.opts.host} sent mirror to another host (${url.host}); refusing to follow with credentials.`);
        debugHttp('registry', req.method, url.href, undefined, headers);
        const sent = typeof req.body === 'function' ? req.body() : req.body;
        res = await requestBuffered(pool, {
          origin: this.origin, method: req.method, path: url.pathname + url.search, headers, body: sent,
          headersTimeout: req.headersTimeoutMs ?? 60_000, bodyTimeout: 120_000, ...KEEP_ALIVE_AFTER_HEAD,
        }, { ...this.bodyLimit(req), signal: req.signal });
        debugHttp('registry', req.method, url.href, res.statusCode, res.headers);
        body = res.body;
      } catch (error) {
        if (error instanceof RegistryError || req.signal?.aborted) throw error;
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (RETRY_CODES.has(code) && attempt < retries && !req.noRetry) { await sleep(backoff); continue; }
        throw this.unreachable(req, error);
      }
      if (res.statusCode === 401) {
        // Every WWW-Authenticate field counts: a registry may offer Basic and Bearer in two.
        const header = res.headers['www-authenticate'];
        const creds = await this.credentials();
        if (header && !authRetried) {
          const challenge = parseChallenge(header);
          const changed = !this.challenge || this.challenge.scheme !== challenge.scheme || this.challenge.params.realm !== challenge.params.realm;
          this.challenge = challenge;
          // Tokens of another realm are no good; a token this request carried was refused. A request
          // that went out without one (the challenge was not known yet) refuses nothing: the token
          // its scope is being given meanwhile is kept for everyone waiting on it.
          if (changed) this.tokens.clear();
          else if (auth?.startsWith('Bearer ')) await this.forgetToken(this.scope(req), auth);
          authRetried = true;
          // Retry once when there is something new to send: this request went out without auth (a
          // concurrent request may have learnt the challenge meanwhile), the challenge changed, or a fresh token.
          if (!auth || changed || challenge.scheme === 'bearer') { attempt -= 1; continue; }
        }
        throw this.unauthorized(req.reference, creds);
      }
      if (res.statusCode === 403) {
        throw new DeniedError(req.reference, `Registry ${this.opts.host} denied ${req.method} on ${req.reference} (403).`, 'The credentials work but lack permission (e.g. packages: write).', 403);
      }
      if (req.noRetry) return { status: res.statusCode, headers: res.headers, body };
      if (RETRY_STATUS.has(res.statusCode)) {
        if (attempt < retries) { await sleep(this.backoffMs(attempt, headerOf(res.headers, 'retry-after'))); continue; }
        if (res.statusCode === 429) throw new RateLimitedError(req.reference, `Registry ${this.opts.host} is rate limiting requests (429) for ${req.reference}, still after ${retries} retries.`, 'Wait and run again, or authenticate for a higher limit.', 429);
        throw new RegistryUnavailableError(req.reference, `Registry ${this.opts.host} answered HTTP ${res.statusCode} for ${req.reference}, still after ${retries} retries.`, 'Run again later.', res.statusCode);
      }
      if (res.statusCode >= 500 && attempt < retries) { await sleep(backoff); continue; }
      if (res.statusCode === 200 && req.intact && !req.intact(body, res.headers) && attempt < retries) {
        this.count(`${req.kind}:corrupt`);
        await sleep(backoff);
        continue;
      }
      return { status: res.statusCode, headers: res.headers, body };
    }
  }

  /**
   * GET a URL on another host that the registry redirected a blob download to (ghcr.io and
   * Docker Hub serve blobs from a CDN). Such URLs are pre-signed: no credentials or token go there.
   */
  async getRedirected(url: URL, req: RegistryRequest): Promise<RegistryResponse> {
    if (url.protocol !== 'https:' && !(this.opts.insecure && url.protocol === 'http:')) {
      throw new RegistryError(req.reference, `registry ${this.opts.host} redirected ${req.reference} to a URL that is not HTTPS (${url.host}); refusing it.`);
    }
    this.count(`${req.kind}:redirected`);
    let res: BufferedAnswer;
    try {
      debugHttp('registry', 'GET', url.href, undefined, {});
      res = await requestBuffered(this.realmAgent(), {
        ...dispatchTarget(url), method: 'GET', headers: { 'user-agent': 'mirror' }, headersTimeout: 60_000, bodyTimeout: 120_000,
      }, this.bodyLimit(req));
      debugHttp('registry', 'GET', url.href, res.statusCode, res.headers);
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryUnavailableError(req.reference, `${url.host}, where registry ${this.opts.host} sends ${req.reference}, is not reachable (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, 'Run again later.', undefined, { cause: error });
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** The largest answer accepted for `req`, and the error for a longer one. */
  private bodyLimit(req: RegistryRequest): BufferedOptions {
    const max = req.maxBodyBytes ?? this.opts.maxBodyBytes ?? 64 * 1024 * 1024;
    return { maxBytes: max, tooLarge: () => new RegistryError(req.reference, `Registry ${this.opts.host} sent more than ${max} bytes for ${req.reference}; refusing it.`) };
  }

  /** Close sockets. */
  async close(opts: { abort?: boolean } = {}): Promise<void> {
    const end = (d?: Dispatcher) => (opts.abort ? d?.destroy() : d?.close());
    await Promise.all([end(this.pool), end(this.realm), end(this.insecureRealm)]);
  }
}
