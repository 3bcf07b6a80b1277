/**
 * Upstream answers kept with their validators (`ETag`, `Last-Modified`), so the next plan asks
 * `If-None-Match` and a 304 reuses the body: GitHub does not count an authorized 304 against the
 * rate limit, and a 304 carries no body. One JSON file per URL under
 * `$XDG_CACHE_HOME/mirror/upstream` (else `.mirror/cache/upstream` beside the config).
 *
 * Safe to delete at any time. It never holds a credential: tokens travel in headers, which are
 * neither stored nor part of the key, and token query parameters are masked before keying.
 * Entries are validated like fresh answers when used; one that does not parse is a miss.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { redactUrl } from '../../system/debug.js';

/** What is kept of one answer. */
export interface CachedAnswer {
  etag?: string;
  lastModified?: string;
  /** Only the pagination headers the sources read (a 304 need not repeat them). */
  headers: Record<string, string>;
  body: string;
}

/** Pagination headers worth keeping: GitHub's Link, GitLab's x-next-page / x-per-page. */
export const KEPT_HEADERS = ['link', 'x-next-page', 'x-per-page', 'x-total-pages', 'x-total'];

/** The cache of upstream answers. */
export interface AnswerCache {
  get(url: string, accept: string): Promise<CachedAnswer | undefined>;
  put(url: string, accept: string, answer: CachedAnswer): Promise<void>;
}

/** Where the cache lives: `$XDG_CACHE_HOME/mirror/upstream`, else `.mirror/cache/upstream` in `baseDir`. */
export function answerCacheDir(env: NodeJS.ProcessEnv, baseDir: string): string {
  return env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
    ? path.join(env.XDG_CACHE_HOME, 'mirror', 'upstream')
    : path.join(baseDir, '.mirror', 'cache', 'upstream');
}

// The key is the URL with token parameters masked, and the Accept type (GitHub varies on it).
const keyOf = (url: string, accept: string) => createHash('sha256').update(`${redactUrl(url)}\n${accept}`).digest('hex');

/** A cache in `dir` (created on first write, 0700; files 0600). */
export function fileAnswerCache(dir: string): AnswerCache {
  let made: Promise<unknown> | undefined;
  return {
    async get(url, accept) {
      try {
        const entry = JSON.parse(await readFile(path.join(dir, `${keyOf(url, accept)}.json`), 'utf8')) as CachedAnswer;
        return typeof entry.body === 'string' && (entry.etag || entry.lastModified) ? entry : undefined;
      } catch {
        return undefined; // missing or unreadable: ask without a condition
      }
    },
    async put(url, accept, answer) {
      try {
        made ??= mkdir(dir, { recursive: true, mode: 0o700 });
        await made;
        const file = path.join(dir, `${keyOf(url, accept)}.json`);
        const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(tmp, JSON.stringify(answer), { mode: 0o600 });
        await rename(tmp, file); // readers see the old entry or the new one, never half of one
      } catch {
        // A cache that cannot be written costs requests, never the plan.
      }
    },
  };
}
