/**
 * Upstream answers kept with their validators (`ETag`, `Last-Modified`), so the next plan asks
 * `If-None-Match` and a 304 reuses the answer: GitHub does not count an authorized 304 against the
 * rate limit, and a 304 carries no body. One file, `answers.json`, under
 * `$XDG_CACHE_HOME/mirror/upstream` (else `.mirror/cache/upstream` beside the config), read once
 * and written once per run: a plan of 200 apps is one read and one write, not 400 file operations.
 * What is kept is the validated answer (the fields mirror reads), not the raw body: GitHub's
 * release notes would make it megabytes.
 *
 * Safe to delete at any time. It never holds a credential: tokens travel in headers, which are
 * neither stored nor part of the key, and token query parameters are masked before keying.
 * Entries are validated like fresh answers when used; one that does not fit is a miss.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mirrorCacheDir } from '../../system/cache-dir.js';
import { redactUrl } from '../../system/debug.js';

/** What is kept of one answer. */
export interface CachedAnswer {
  etag?: string;
  lastModified?: string;
  /** Only the pagination headers the sources read (a 304 need not repeat them). */
  headers: Record<string, string>;
  /** The answer as its schema parsed it (unknown fields stripped); validated again when used. */
  data: unknown;
}

/** Pagination headers worth keeping: GitHub's Link, GitLab's x-next-page / x-per-page. */
export const KEPT_HEADERS = ['link', 'x-next-page', 'x-per-page', 'x-total-pages', 'x-total'];

/** The cache of upstream answers. */
export interface AnswerCache {
  get(url: string, accept: string): Promise<CachedAnswer | undefined>;
  put(url: string, accept: string, answer: CachedAnswer): void;
  /** Write what changed (once, at the end of a run). A cache that cannot be written costs requests, never the plan. */
  flush(): Promise<void>;
}

/** Where the cache lives: `$XDG_CACHE_HOME/mirror/upstream`, else `.mirror/cache/upstream` in `baseDir`. */
export function answerCacheDir(env: NodeJS.ProcessEnv, baseDir: string): string {
  return path.join(mirrorCacheDir(env, baseDir), 'upstream');
}

/** Entries nobody asked for in this long are dropped at the next write. */
const UNUSED_MS = 30 * 86_400_000;

// The key is the URL with token parameters masked, and the Accept type (GitHub varies on it).
const keyOf = (url: string, accept: string) => createHash('sha256').update(`${redactUrl(url)}\n${accept}`).digest('hex');

type Entry = CachedAnswer & { usedAt: number };

/** The cache file in `dir` (created on first write, 0700; the file 0600). */
export function fileAnswerCache(dir: string): AnswerCache {
  const file = path.join(dir, 'answers.json');
  let entries: Promise<Map<string, Entry>> | undefined;
  let changed = false;
  const load = () => {
    entries ??= readFile(file, 'utf8').then((text) => {
      const json = JSON.parse(text) as { entries?: Record<string, Entry> };
      return new Map(Object.entries(json.entries ?? {}));
    }).catch(() => new Map<string, Entry>()); // missing or unreadable: every request goes out unconditional
    return entries;
  };
  return {
    async get(url, accept) {
      const entry = (await load()).get(keyOf(url, accept));
      if (!entry || !(entry.etag || entry.lastModified) || typeof entry.headers !== 'object') return undefined;
      entry.usedAt = Date.now();
      changed = true;
      return entry;
    },
    put(url, accept, answer) {
      void load().then((map) => { map.set(keyOf(url, accept), { ...answer, usedAt: Date.now() }); });
      changed = true;
    },
    async flush() {
      if (!changed || !entries) return;
      const map = await entries;
      const now = Date.now();
      const kept = Object.fromEntries([...map].filter(([, e]) => now - e.usedAt < UNUSED_MS));
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(tmp, JSON.stringify({ version: 1, entries: kept }), { mode: 0o600 });
        await rename(tmp, file); // readers see the old file or the new one, never half of one
        changed = false;
      } catch {
        // Unwritable cache directory: the next plan asks in full.
      }
    },
  };
}
