/**
 * `mirror plan` twice over 200 GitHub apps: the second plan sends conditional requests only and
 * spends none of the GitHub rate limit; a plan that the remaining limit cannot cover says so
 * before it starts. Real CLI, real registry, the GitHub emulator counting as GitHub documents.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../rig/upstream.js';
import { mirror } from './cli.js';

const APPS = 200;
const TOKEN = 'ghp_e2eConditional0123456789abcdef';
let registry: TestRegistry;
let upstream: UpstreamEmulator;
let dir: string;

beforeAll(async () => {
  [registry, upstream] = await Promise.all([startRegistry(), startUpstreamEmulator()]);
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-conditional-'));
  const apps = Array.from({ length: APPS }, (_, i) => `app${String(i).padStart(3, '0')}`);
  for (const app of apps) upstream.github.setReleases(`cond/${app}`, Array.from({ length: 12 }, (_, i) => ({ tag_name: `v1.${11 - i}.0` })));
  await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({
    registry: { url: registry.url('cond'), insecure: true },
    defaults: { maxVersions: 10, platforms: ['linux/amd64', 'linux/arm64'], attest: { sbom: false, provenance: false, sign: false } },
    apps: Object.fromEntries(apps.map((a) => [a, { upstream: { type: 'github-releases', repository: `cond/${a}`, apiUrl: upstream.url }, source: { git: `https://git.invalid/${a}.git`, ref: 'v{version}' } }])),
  }));
});
afterAll(async () => {
  await Promise.all([registry?.stop(), upstream?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const plan = (env: Record<string, string>) => mirror(['plan', '--json', '--config', 'mirror.config.json'], { cwd: dir, env: { MIRROR_STATS: '1', ...env } });
const statsOf = (stderr: string) => JSON.parse(/mirror-stats (.*)/.exec(stderr)?.[1] ?? '{}') as { upstream: { fresh: number; notModified: number } };

describe('conditional upstream requests across plans', () => {
  it('a second plan of 200 apps is answered 304 throughout and spends 0 of the GitHub rate limit', async () => {
    // Given a first plan with a token (200 answers in full, cached under .mirror/cache)
    upstream.github.setRateLimit(5000);
    const first = await plan({ GITHUB_TOKEN: TOKEN });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(statsOf(first.stderr).upstream).toEqual({ fresh: APPS, notModified: 0 });
    const cached = JSON.parse(await readFile(path.join(dir, '.mirror/cache/upstream/answers.json'), 'utf8')) as { entries: object };
    expect(Object.keys(cached.entries)).toHaveLength(APPS);
    const used = upstream.github.rateLimit().used;
    expect(used).toBe(APPS);
    // When the same plan runs again
    upstream.resetRequests();
    const second = await plan({ GITHUB_TOKEN: TOKEN });
    // Then every releases request was conditional and answered 304, the limit did not move, the plan is the same
    expect(second.exitCode, second.stderr).toBe(0);
    expect(statsOf(second.stderr).upstream).toEqual({ fresh: 0, notModified: APPS });
    const releases = upstream.requests.filter((r) => r.url.includes('/releases'));
    expect(releases).toHaveLength(APPS);
    expect(releases.every((r) => r.status === 304)).toBe(true);
    expect(upstream.github.rateLimit().used).toBe(used);
    expect({ ...JSON.parse(second.stdout), createdAt: 0 }).toEqual({ ...JSON.parse(first.stdout), createdAt: 0 });
  });

  it('asks for the first pages without waiting for the rate-limit answer (one round trip less per plan)', async () => {
    // Given a GitHub API whose /rate_limit answers 1.5 s late, and no cache
    upstream.github.setRateLimit(5000);
    upstream.github.delayRateLimit(1500);
    await rm(path.join(dir, '.mirror/cache'), { recursive: true, force: true });
    upstream.resetRequests();
    try {
      const r = await plan({ GITHUB_TOKEN: TOKEN });
      // Then the plan succeeds, and releases pages were asked (and answered) while /rate_limit was still pending
      expect(r.exitCode, r.stderr).toBe(0);
      const budget = upstream.requests.find((q) => q.url === '/rate_limit');
      expect(budget?.answeredAt).toBeDefined();
      const early = upstream.requests.filter((q) => q.url.includes('/releases') && q.answeredAt !== undefined && q.answeredAt < (budget?.answeredAt ?? 0));
      expect(early.length).toBeGreaterThan(0);
    } finally {
      upstream.github.delayRateLimit(0);
    }
  });

  it('says before starting when the remaining limit cannot cover the plan: reset time and GITHUB_TOKEN', async () => {
    // Given an anonymous caller with 60 requests an hour and no cache
    upstream.github.setRateLimit(60);
    await rm(path.join(dir, '.mirror/cache'), { recursive: true, force: true });
    upstream.resetRequests();
    const r = await plan({});
    // Then the warning comes first, and the plan fails on the apps past the limit
    // (The budget is read beside the first pages, so a few of them may already be counted: N of 60.)
    expect(r.stderr).toMatch(/^warning: GitHub API 127\.0\.0\.1:\d+: \d+ of 60 requests left until 20\d\d-\d\d-\d\dT[^,]+, and this plan needs at least 200 \(one per app\)/);
    expect(r.stderr).toContain('Set GITHUB_TOKEN');
    expect(upstream.requests[0].url).toBe('/rate_limit');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('GitHub API rate limit exceeded');
  });
});
