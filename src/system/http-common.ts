/**
 * What the registry and upstream HTTP clients share: reading headers, and the retry policy
 * (backoff base, Retry-After, the wait). Each client keeps its own loop, since what is worth a
 * retry differs (auth challenges and mangled blobs there, cut-off JSON here), but both wait alike.
 */
import LinkHeader from 'http-link-header';

/** Base of the exponential backoff between retries, unless MIRROR_RETRY_BASE_MS says otherwise. */
export const RETRY_BASE_MS = 250;

/** First value of a header. */
export function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The `rel="next"` URL of RFC 8288 Link field values (GitHub and registries paginate with it),
 * read with http-link-header: `rel` may follow other parameters, hold several relation types
 * (`rel="next last"`) or be unquoted, and a response may carry several Link fields. An unreadable
 * header gives undefined (no next page) rather than a crash.
 */
export function nextLink(link: string | string[] | undefined): string | undefined {
  return linkRel(link, 'next');
}

/** The URI of the first `Link` entry with relation `rel`, or undefined (RFC 8288, parsed by http-link-header). */
export function linkRel(link: string | string[] | undefined, rel: string): string | undefined {
  if (!link) return undefined;
  try {
    return LinkHeader.parse(Array.isArray(link) ? link.join(', ') : link).rel(rel)[0]?.uri;
  } catch {
    return undefined;
  }
}

/** MIRROR_RETRY_BASE_MS when it is a number ≥ 0 (the test suites shrink backoff with it), else undefined. */
export function envRetryBaseMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = Number(env.MIRROR_RETRY_BASE_MS);
  return env.MIRROR_RETRY_BASE_MS !== undefined && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Milliseconds to wait per Retry-After (seconds or HTTP date), between 0 and `capMs`; `fallback` when absent or unreadable. */
export function retryAfterMs(value: string | undefined, fallback: number, capMs = 60_000): number {
  if (!value) return fallback;
  const secs = Number(value);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(value) - Date.now();
  return Math.min(Math.max(Number.isFinite(ms) ? ms : fallback, 0), capMs);
}

/** Wait `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
