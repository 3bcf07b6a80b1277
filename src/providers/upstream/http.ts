/**
 * JSON over HTTP for upstream APIs. Every answer is validated with a zod schema: an HTML error
 * page, a truncated body or a changed shape becomes an UpstreamError naming the app and the URL,
 * never a crash deep in the planner.
 */
import type { z } from 'zod';
import { UpstreamError } from '../../errors.js';
import { debugHttp } from '../../system/debug.js';
import { sharedDispatcher } from '../../system/dispatcher.js';
import { BodyBrokeOffError, bodyText, dispatchTarget, requestBuffered } from '../../system/http-buffered.js';
import { envRetryBaseMs, headerOf, RETRY_BASE_MS, retryAfterMs, sleep } from '../../system/http-common.js';
import { certificateError, TRUST_HINT } from '../../system/tls.js';
import { KEPT_HEADERS, type AnswerCache, type CachedAnswer } from './answer-cache.js';


/** A validated JSON answer and its headers. */
export interface JsonAnswer<T> {
  data: T;
  headers: Record<string, string | string[] | undefined>;
}

/** Conditional-request counts of a run: `fresh` answers (200) against `notModified` (304, cache reused). */
export interface ConditionalStats {
  fresh: number;
  notModified: number;
}

/** Decides, for a non-2xx answer, which error to throw (rate limits, not found). */
export type StatusHandler = (status: number, headers: Record<string, string | string[] | undefined>) => UpstreamError | undefined;

/** Options of getJson. */
export interface GetJsonOptions {
  headers?: Record<string, string>;
  onStatus?: StatusHandler;
  /** Ask conditionally when an answer is cached, and cache what comes back with a validator. */
  cache?: AnswerCache;
  stats?: ConditionalStats;
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${where || '(root)'}: ${issue.message}`;
}

const ATTEMPTS = 4;

/**
 * The largest upstream answer read: a GitHub page of 100 releases with long notes is a few MB.
 * Anything far beyond that is not an API page, and holding it would only exhaust memory.
 */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const answerLimit = (app: string, url: string) => ({
  maxBytes: MAX_ANSWER_BYTES,
  tooLarge: () => new UpstreamError(app, url, `answered more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, which is not an API page.`, 'Check the upstream settings of this app.'),
});
/** A HEAD answer has no body; a server that sends one anyway is not read past a little. */
const PROBE_LIMIT = { maxBytes: 1024 * 1024, tooLarge: () => new Error('a HEAD answer with a body') };
const transient = (status: number) => status === 429 || status >= 500;

/** Wait before attempt n+1: Retry-After when the server said (capped at 10 s), else exponential backoff. */
function backoff(attempt: number, retryAfter?: string): number {
  return retryAfterMs(retryAfter, (envRetryBaseMs() ?? RETRY_BASE_MS) * 2 ** attempt, 10_000);
}

/**
 * GET a URL and validate its JSON body. Transient failures (network errors, bodies cut off, 5xx,
 * 429 that is not a rate-limit verdict) are retried with backoff: a cron run should not fail
 * because an API hiccuped once.
 */
export async function getJson<S extends z.ZodType>(
  app: string, url: string, schema: S,
  opts: GetJsonOptions = {},
): Promise<JsonAnswer<z.output<S>>> {
  const accept = opts.headers?.accept ?? 'application/json';
  let cached = await opts.cache?.get(url, accept);
  for (let attempt = 0; ; attempt++) {
    const last = attempt === ATTEMPTS - 1;
    let res;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'mirror', ...opts.headers };
    if (cached?.etag) headers['if-none-match'] = cached.etag;
    else if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
    try {
      debugHttp('upstream', 'GET', url, undefined, headers);
      res = await requestBuffered(sharedDispatcher(), { ...dispatchTarget(url), method: 'GET', headers, headersTimeout: 30_000, bodyTimeout: 30_000 }, answerLimit(app, url));
      debugHttp('upstream', 'GET', url, res.statusCode, res.headers);
    } catch (error) {
      if (error instanceof BodyBrokeOffError) {
        if (!last) { await sleep(backoff(attempt)); continue; }
        throw new UpstreamError(app, url, `broke off while sending its answer (${error.message}).`, 'Run again; if it persists the upstream is unwell.');
      }
      if (error instanceof UpstreamError) throw error;
      debugHttp('upstream', 'GET', url, (error as NodeJS.ErrnoException).code ?? 'error');
      const cert = certificateError(error);
      // A certificate does not get better by asking again; registry.insecure never applies here.
      if (cert) throw new UpstreamError(app, url, `presents a TLS certificate mirror cannot verify (${cert}).`, `${TRUST_HINT} (registry.insecure does not apply to upstream APIs).`, { cause: error });
      if (!last) { await sleep(backoff(attempt)); continue; }
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new UpstreamError(app, url, `is not reachable (${code}).`, 'Check the URL and the network, then run again.', { cause: error });
    }
    if (res.statusCode === 304 && cached) {
      const answer = schemaAnswer(schema, cached.data, { ...res.headers, ...cached.headers });
      if (answer) { if (opts.stats) opts.stats.notModified += 1; return answer; }
      cached = undefined; // an entry that no longer validates: ask again without a condition
      attempt -= 1;
      continue;
    }
    const text = bodyText(res.body);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const specific = opts.onStatus?.(res.statusCode, res.headers);
      if (specific) throw specific;
      if (transient(res.statusCode) && !last) { await sleep(backoff(attempt, headerOf(res.headers, 'retry-after'))); continue; }
      throw new UpstreamError(app, url, `answered HTTP ${res.statusCode}${transient(res.statusCode) ? ` ${ATTEMPTS} times` : ''}.`,
        transient(res.statusCode) ? 'The upstream is unwell; run again later.' : 'Check the upstream settings of this app.');
    }
    const declared = Number(headerOf(res.headers, 'content-length'));
    if (Number.isFinite(declared) && declared > 0 && Buffer.byteLength(text) < declared && !last) { await sleep(backoff(attempt)); continue; }
    const json = parseJson(text);
    // JSON that starts right and does not parse was cut on the way (a proxy gave up): retried like
    // a reset. HTML or an empty body is an answer, not an accident, and fails at once.
    if (json === UNPARSABLE && /^\s*[[{]/.test(text) && !last) { await sleep(backoff(attempt)); continue; }
    const answer = parseAnswer(app, url, schema, text, json, res.headers);
    if (opts.stats) opts.stats.fresh += 1;
    remember(opts.cache, url, accept, answer.data, res.headers);
    return answer;
  }
}

/** Keep a validated answer that has a validator; answers without one cannot be asked about again. */
function remember(cache: AnswerCache | undefined, url: string, accept: string, data: unknown, headers: Record<string, string | string[] | undefined>): void {
  const etag = headerOf(headers, 'etag');
  const lastModified = headerOf(headers, 'last-modified');
  if (!cache || (!etag && !lastModified)) return;
  const kept: CachedAnswer['headers'] = {};
  for (const name of KEPT_HEADERS) {
    const v = headerOf(headers, name);
    if (v !== undefined) kept[name] = v;
  }
  cache.put(url, accept, { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}), headers: kept, data });
}

/** The schema-checked answer, or undefined when the JSON does not fit. */
function schemaAnswer<S extends z.ZodType>(schema: S, json: unknown, headers: Record<string, string | string[] | undefined>): JsonAnswer<z.output<S>> | undefined {
  const parsed = schema.safeParse(json);
  return parsed.success ? { data: parsed.data, headers } : undefined;
}

const UNPARSABLE = Symbol('unparsable');
function parseJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return UNPARSABLE; }
}

function parseAnswer<S extends z.ZodType>(app: string, url: string, schema: S, text: string, json: unknown, headers: Record<string, string | string[] | undefined>): JsonAnswer<z.output<S>> {
  if (json === UNPARSABLE) {
    const kind = /^\s*</.test(text) ? 'HTML instead of JSON' : text.length === 0 ? 'an empty body' : 'truncated or invalid JSON';
    throw new UpstreamError(app, url, `answered ${kind}.`, 'The upstream API may be down or the URL may be wrong; run again later or check the config.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamError(app, url, `answered JSON of the wrong shape (${describeIssue(parsed.error.issues[0])}).`,
      'The API may have changed, or the URL points at something else; check the upstream settings of this app.');
  }
  return { data: parsed.data, headers };
}

/**
 * HEAD a URL following redirects; ok on 2xx. `transient` marks an answer that says nothing about
 * the file (5xx, 429, network) after retries: the caller must not read it as "not published".
 */
export async function probe(url: string, maxRedirects = 5): Promise<{ ok: boolean; status: number | string; transient?: boolean }> {
  let result: { ok: boolean; status: number | string; transient?: boolean } = { ok: false, status: 'unreachable', transient: true };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt - 1));
    result = await probeOnce(url, maxRedirects);
    if (!result.transient) return result;
  }
  return result;
}

async function probeOnce(url: string, maxRedirects: number): Promise<{ ok: boolean; status: number | string; transient?: boolean }> {
  let current = url;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    let res;
    try {
      debugHttp('upstream', 'HEAD', current, undefined);
      res = await requestBuffered(sharedDispatcher(), { ...dispatchTarget(current), method: 'HEAD', headers: { 'user-agent': 'mirror' }, headersTimeout: 30_000 }, PROBE_LIMIT);
      debugHttp('upstream', 'HEAD', current, res.statusCode, res.headers);
    } catch (error) {
      return { ok: false, status: (error as NodeJS.ErrnoException).code ?? 'unreachable', transient: true };
    }
    const location = headerOf(res.headers, 'location');
    if (res.statusCode >= 300 && res.statusCode < 400 && location) {
      current = new URL(location, current).href;
      continue;
    }
    return { ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, ...(transient(res.statusCode) ? { transient: true } : {}) };
  }
  return { ok: false, status: 'too many redirects' };
}
