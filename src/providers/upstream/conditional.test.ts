/**
 * Conditional upstream requests: answers cached with their ETag, asked again with If-None-Match,
 * a 304 reusing the cache. Against the emulator, which counts GitHub's rate limit as documented
 * (an authorized 304 is free, everything else costs one) and gives each token its own ETags.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../../test/rig/upstream.js';
import { answerCacheDir, fileAnswerCache, type AnswerCache } from './answer-cache.js';
import { budgetShortfall, githubBudget } from './github-budget.js';
import type { ConditionalStats } from './http.js';
import { createUpstreamSource } from './index.js';
import { resolveWindow } from '../../plan/window.js';

let emu: UpstreamEmulator;
let dir: string;
let cache: AnswerCache;
beforeAll(async () => { emu = await startUpstreamEmulator(); });
afterAll(async () => { await emu.stop(); });
beforeEach(async () => {
  emu.resetRequests(); emu.setMaxPerPage(100); emu.github.setRateLimit(5000);
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-answers-'));
  cache = fileAnswerCache(dir);
});

const TOKEN = 'ghp_conditionalSecret0123456789';
const window = async (repository: string, env: NodeJS.ProcessEnv, stats: ConditionalStats = { fresh: 0, notModified: 0 }) => {
  const source = createUpstreamSource('alpha', { type: 'github-releases', repository, apiUrl: emu.url }, { env, cache, stats });
  return (await resolveWindow({ app: 'alpha', source, maxVersions: 3, platforms: ['linux/amd64'] })).versions.map((v) => v.version);
};
const releases = (n: number) => Array.from({ length: n }, (_, i) => ({ tag_name: `v1.${n - 1 - i}.0` }));

describe('conditional GitHub requests', () => {
  it('a second read sends If-None-Match, gets 304 for every page and spends none of the limit (with a token)', async () => {
    // Given 12 releases, 5 per page, read once with a token
    emu.github.setReleases('acme/etag', releases(12));
    emu.setMaxPerPage(5);
    const first = { fresh: 0, notModified: 0 };
    expect(await window('acme/etag', { GITHUB_TOKEN: TOKEN }, first)).toEqual(['1.11.0', '1.10.0', '1.9.0']);
    expect(first).toEqual({ fresh: 3, notModified: 0 });
    const spent = emu.github.rateLimit().used;
    // When it is read again with the same cache
    const second = { fresh: 0, notModified: 0 };
    expect(await window('acme/etag', { GITHUB_TOKEN: TOKEN }, second)).toEqual(['1.11.0', '1.10.0', '1.9.0']);
    // Then every page was answered 304 and the rate limit did not move
    expect(second).toEqual({ fresh: 0, notModified: 3 });
    expect(emu.requests.slice(-3).map((r) => r.status)).toEqual([304, 304, 304]);
    expect(emu.github.rateLimit().used).toBe(spent);
  });

  it('a changed listing is answered in full: the cache never hides a new release', async () => {
    emu.github.setReleases('acme/moving', releases(4));
    await window('acme/moving', { GITHUB_TOKEN: TOKEN });
    emu.github.setReleases('acme/moving', [{ tag_name: 'v2.0.0' }, ...releases(4)]);
    const stats = { fresh: 0, notModified: 0 };
    expect(await window('acme/moving', { GITHUB_TOKEN: TOKEN }, stats)).toEqual(['2.0.0', '1.3.0', '1.2.0']);
    expect(stats).toEqual({ fresh: 1, notModified: 0 });
  });

  it('keeps no token: not in the files, not in the key (another token finds the same entry, and GitHub answers it in full)', async () => {
    emu.github.setReleases('acme/tokens', releases(4));
    await window('acme/tokens', { GITHUB_TOKEN: TOKEN });
    await cache.flush();
    expect(await readdir(dir)).toEqual(['answers.json']);
    const text = await readFile(path.join(dir, 'answers.json'), 'utf8');
    expect(Object.keys(JSON.parse(text).entries)).toHaveLength(1);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.from(TOKEN).toString('base64'));
    // Another token: the same entry is used (the request is conditional) and the emulator, like
    // GitHub, does not honour an ETag got with another token, so the answer is a fresh 200.
    emu.resetRequests();
    const stats = { fresh: 0, notModified: 0 };
    await window('acme/tokens', { GITHUB_TOKEN: 'ghp_another' }, stats);
    expect(stats).toEqual({ fresh: 1, notModified: 0 });
    await cache.flush();
    expect(Object.keys(JSON.parse(await readFile(path.join(dir, 'answers.json'), 'utf8')).entries)).toHaveLength(1);
  });

  it('anonymous 304s still count against the limit, as GitHub documents', async () => {
    emu.github.setReleases('acme/anon', releases(4));
    await window('acme/anon', {});
    const before = emu.github.rateLimit().used;
    const stats = { fresh: 0, notModified: 0 };
    await window('acme/anon', {}, stats);
    expect(stats).toEqual({ fresh: 0, notModified: 1 });
    expect(emu.github.rateLimit().used).toBe(before + 1);
  });

  it('a corrupt cache entry is a miss, never a wrong window; an unreadable file is no cache', async () => {
    emu.github.setReleases('acme/corrupt', releases(4));
    await window('acme/corrupt', { GITHUB_TOKEN: TOKEN });
    await cache.flush();
    const file = path.join(dir, 'answers.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, { data: unknown }> };
    for (const e of Object.values(json.entries)) e.data = [{ tag_name: 5 }];
    await writeFile(file, JSON.stringify(json));
    cache = fileAnswerCache(dir); // a new run reads the file
    const stats = { fresh: 0, notModified: 0 };
    expect(await window('acme/corrupt', { GITHUB_TOKEN: TOKEN }, stats)).toEqual(['1.3.0', '1.2.0', '1.1.0']);
    expect(stats).toEqual({ fresh: 1, notModified: 0 });
    await writeFile(file, '{"entries": {"trunc');
    cache = fileAnswerCache(dir);
    expect(await window('acme/corrupt', { GITHUB_TOKEN: TOKEN }, stats)).toEqual(['1.3.0', '1.2.0', '1.1.0']);
    expect(stats).toEqual({ fresh: 2, notModified: 0 });
  });

  it('a new run reads what the last one wrote (one file, read once, written once)', async () => {
    emu.github.setReleases('acme/persist', releases(4));
    await window('acme/persist', { GITHUB_TOKEN: TOKEN });
    await cache.flush();
    cache = fileAnswerCache(dir);
    const stats = { fresh: 0, notModified: 0 };
    expect(await window('acme/persist', { GITHUB_TOKEN: TOKEN }, stats)).toEqual(['1.3.0', '1.2.0', '1.1.0']);
    expect(stats).toEqual({ fresh: 0, notModified: 1 });
  });
});

describe('conditional GitLab requests', () => {
  it('a second read is answered 304 and gives the same window', async () => {
    emu.gitlab.setTags('g/etag', ['v1.2.0', 'v1.1.0', 'v1.0.0']);
    const read = async (stats: ConditionalStats) => {
      const source = createUpstreamSource('beta', { type: 'gitlab-tags', baseUrl: emu.url, project: 'g/etag' }, { env: {}, cache, stats });
      return (await resolveWindow({ app: 'beta', source, maxVersions: 2, platforms: ['linux/amd64'] })).versions.map((v) => v.version);
    };
    const stats = { fresh: 0, notModified: 0 };
    expect(await read(stats)).toEqual(['1.2.0', '1.1.0']);
    expect(await read(stats)).toEqual(['1.2.0', '1.1.0']);
    expect(stats).toEqual({ fresh: 1, notModified: 1 });
  });
});

describe('cache location and rate-limit budget', () => {
  it('lives under $XDG_CACHE_HOME/mirror, else .mirror/cache beside the config', () => {
    expect(answerCacheDir({ XDG_CACHE_HOME: '/home/u/.cache' }, '/work/proj')).toBe('/home/u/.cache/mirror/upstream');
    expect(answerCacheDir({}, '/work/proj')).toBe('/work/proj/.mirror/cache/upstream');
    expect(answerCacheDir({ XDG_CACHE_HOME: 'relative' }, '/work/proj')).toBe('/work/proj/.mirror/cache/upstream');
  });

  it('reads the budget without spending it and says when a plan cannot fit, with the reset and the token hint', async () => {
    emu.github.setRateLimit(60);
    const budget = await githubBudget(emu.url, undefined);
    expect(budget).toMatchObject({ limit: 60, remaining: 60 });
    expect(emu.github.rateLimit().used).toBe(0);
    expect(budgetShortfall('api.github.com', budget!, 60, false)).toBeUndefined();
    expect(budgetShortfall('api.github.com', budget!, 200, false)).toMatch(
      /^GitHub API api\.github\.com: 60 of 60 requests left until 20\d\d-\d\d-\d\dT.*needs at least 200 \(one per app\).*Set GITHUB_TOKEN/);
  });
});
