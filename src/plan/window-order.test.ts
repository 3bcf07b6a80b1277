/**
 * Windows from any upstream ordering: the window is the semver-highest N of all versions whether
 * the API lists by creation date (GitHub), by update date (GitLab's default) or by version
 * (GitLab `order_by=version`), against an emulator that lists the way each API documents.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../test/rig/upstream.js';
import { pageRange } from '../providers/upstream/github-releases.js';
import { createUpstreamSource } from '../providers/upstream/index.js';
import { resolveWindow } from './window.js';

let emu: UpstreamEmulator;
beforeAll(async () => { emu = await startUpstreamEmulator(); });
afterAll(async () => { await emu.stop(); });
beforeEach(() => { emu.resetRequests(); emu.setMaxPerPage(100); });

const gh = (repository: string) => createUpstreamSource('alpha', { type: 'github-releases', repository, apiUrl: emu.url }, { env: {} });
const gl = (project: string, perPage?: number) => createUpstreamSource('beta', { type: 'gitlab-tags', baseUrl: emu.url, project }, { env: {}, perPage });
const versionsOf = (w: { versions: { version: string }[] }) => w.versions.map((v) => v.version);
const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const listed = async (path: string) => ((await (await fetch(`${emu.url}${path}`)).json()) as Array<{ tag_name?: string; name?: string }>).map((r) => r.tag_name ?? r.name);

describe('GitHub releases (listed by creation date)', () => {
  it('a backport created after newer versions is listed first and does not become the window', async () => {
    // Given 10.0.0…10.4.0 and 9.11.0…9.11.4, with a 9.11.5 backport created last, 5 per page
    const tens = Array.from({ length: 5 }, (_, i) => ({ tag_name: `v10.${i}.0`, created_at: day(20 + i) }));
    const nines = Array.from({ length: 6 }, (_, i) => ({ tag_name: `v9.11.${i}`, created_at: day(i) }));
    emu.github.setReleases('acme/backport', [...nines, ...tens, { tag_name: 'v9.11.5', created_at: day(40) }]);
    emu.setMaxPerPage(5);
    // Then the emulator lists it first, as GitHub does
    expect((await listed('/repos/acme/backport/releases?per_page=5'))[0]).toBe('v9.11.5');
    // When a window of 5 is resolved
    const w = await resolveWindow({ app: 'alpha', source: gh('acme/backport'), maxVersions: 5, platforms: ['linux/amd64'] });
    // Then it is the five 10.x versions, newest first
    expect(versionsOf(w)).toEqual(['10.4.0', '10.3.0', '10.2.0', '10.1.0', '10.0.0']);
  });

  it('reads every page: the newest versions can be on the last one', async () => {
    // Given 12 releases created oldest version last (an imported history), 5 per page
    emu.github.setReleases('acme/imported', Array.from({ length: 12 }, (_, i) => ({ tag_name: `v1.${i}.0`, created_at: day(12 - i) })));
    emu.setMaxPerPage(5);
    expect(await listed('/repos/acme/imported/releases?per_page=5&page=3')).toEqual(['v1.10.0', 'v1.11.0']);
    emu.resetRequests();
    // When a window of 3 is resolved
    const w = await resolveWindow({ app: 'alpha', source: gh('acme/imported'), maxVersions: 3, platforms: ['linux/amd64'] });
    // Then all three pages were read and the window holds the highest versions
    expect(versionsOf(w)).toEqual(['1.11.0', '1.10.0', '1.9.0']);
    expect(emu.requestCount('/repos/acme/imported/releases')).toBe(3);
    expect(w.requests).toBe(3);
  });

  it('asks pages 2…N together when page 1 names the last page, and follows one by one otherwise', () => {
    const link = (last: number) => `<https://api.github.com/r?per_page=5&page=2>; rel="next", <https://api.github.com/r?per_page=5&page=${last}>; rel="last"`;
    expect(pageRange('https://api.github.com/r?per_page=5&page=2', link(4))).toEqual([2, 3, 4].map((p) => `https://api.github.com/r?per_page=5&page=${p}`));
    expect(pageRange('https://api.github.com/r?per_page=5&page=2', link(51))).toEqual([]); // too many at once: one by one
    expect(pageRange('https://api.github.com/r?after=Y3Vyc29y', '<https://api.github.com/r?after=Y3Vyc29y>; rel="next"')).toEqual([]); // cursor pagination
  });

  it('excludes a release flagged prerelease even when its tag is plain (v2.1.0)', async () => {
    emu.github.setReleases('acme/flagged', [{ tag_name: 'v2.1.0', prerelease: true }, { tag_name: 'v2.0.0' }, { tag_name: 'v1.9.0' }]);
    const w = await resolveWindow({ app: 'alpha', source: gh('acme/flagged'), maxVersions: 2, platforms: ['linux/amd64'] });
    expect(versionsOf(w)).toEqual(['2.0.0', '1.9.0']);
  });
});

describe('GitLab tags', () => {
  // 30 tags, v1.0.0…v1.29.0, where the oldest commits were updated last (a history rewrite).
  const tags = Array.from({ length: 30 }, (_, i) => ({ name: `v1.${i}.0`, updated: day(30 - i) }));

  it('the emulator lists by update date without order_by, by version with it, and refuses an unknown order_by', async () => {
    emu.gitlab.setTags('g/ordered', tags);
    const base = '/api/v4/projects/g%2Fordered/repository/tags?per_page=3';
    expect(await listed(base)).toEqual(['v1.0.0', 'v1.1.0', 'v1.2.0']);
    expect(await listed(`${base}&order_by=version&sort=desc`)).toEqual(['v1.29.0', 'v1.28.0', 'v1.27.0']);
    expect(await listed(`${base}&order_by=version&sort=asc`)).toEqual(['v1.0.0', 'v1.1.0', 'v1.2.0']);
    expect((await fetch(`${emu.url}${base}&order_by=semver`)).status).toBe(400);
  });

  it('asks order_by=version and stops when no later page can hold a version above the window', async () => {
    emu.gitlab.setTags('g/ordered', tags);
    emu.setMaxPerPage(5);
    // When a window of 7 is resolved, 5 tags per page
    const w = await resolveWindow({ app: 'beta', source: gl('g/ordered', 5), maxVersions: 7, platforms: ['linux/amd64'] });
    // Then the window is the 7 highest, from 2 of the 6 pages: page 2 ends at 1.20.0, below 1.23.0
    expect(versionsOf(w)).toEqual(['1.29.0', '1.28.0', '1.27.0', '1.26.0', '1.25.0', '1.24.0', '1.23.0']);
    expect(emu.requests.map((r) => r.url)).toEqual([1, 2].map((p) => `/api/v4/projects/g%2Fordered/repository/tags?per_page=5&page=${p}&order_by=version&sort=desc`));
  });

  it('reads every page from an instance that ignores order_by (its listing does not descend)', async () => {
    // Given a server that answers in update order whatever is asked: the newest versions come last
    emu.gitlab.setTags('g/stubborn', tags);
    emu.gitlab.setMode('g/stubborn', 'ignores-order');
    emu.setMaxPerPage(5);
    const w = await resolveWindow({ app: 'beta', source: gl('g/stubborn', 5), maxVersions: 3, platforms: ['linux/amd64'] });
    expect(versionsOf(w)).toEqual(['1.29.0', '1.28.0', '1.27.0']);
    expect(emu.requestCount('/api/v4/projects/g%2Fstubborn/')).toBe(6);
  });
});
