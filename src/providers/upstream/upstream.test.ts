import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitRepo } from '../../../test/rig/git.js';
import { startFaultProxy } from '../../../test/rig/fault-proxy.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../../test/rig/upstream.js';
import { UpstreamError } from '../../errors.js';
import { createUpstreamSource } from './index.js';
import { resolveWindow, selectCandidates } from '../../plan/window.js';

let emu: UpstreamEmulator;
process.env.MIRROR_RETRY_BASE_MS = '5'; // retries back off in ms here, not seconds
beforeAll(async () => { emu = await startUpstreamEmulator(); });
afterAll(async () => { await emu.stop(); });
beforeEach(() => { emu.resetRequests(); emu.setMaxPerPage(100); });

const gh = (repository: string, env: NodeJS.ProcessEnv = {}) =>
  createUpstreamSource('alpha', { type: 'github-releases', repository, apiUrl: emu.url }, { env });
const versionsOf = (w: { versions: { version: string }[] }) => w.versions.map((v) => v.version);

describe('github-releases', () => {
  it('follows Link pagination to the last page (GitHub lists by date, not version)', async () => {
    // Given 30 stable releases served 5 per page
    emu.github.setReleases('acme/paged', Array.from({ length: 30 }, (_, i) => ({ tag_name: `v1.${29 - i}.0` })));
    emu.setMaxPerPage(5);
    // When a window of 7 is resolved
    const w = await resolveWindow({ app: 'alpha', source: gh('acme/paged'), maxVersions: 7, platforms: ['linux/amd64'] });
    // Then every page was read (a later one could hold a higher version) and the window is the 7 newest
    expect(versionsOf(w)).toEqual(['1.29.0', '1.28.0', '1.27.0', '1.26.0', '1.25.0', '1.24.0', '1.23.0']);
    expect(emu.requestCount('/repos/acme/paged/releases')).toBe(6);
    expect(w.requests).toBe(6);
  });

  it('excludes drafts and prereleases, orders by semver (1.9.10 > 1.9.2), and skips odd tags with warnings', async () => {
    emu.github.setReleases('acme/odd', [
      { tag_name: 'v1.9.2' }, { tag_name: 'v2.0.0', draft: true }, { tag_name: 'v1.10.0-rc.1', prerelease: true },
      { tag_name: 'v1.9.10' }, { tag_name: 'v1.9.3-beta' }, { tag_name: 'v1.8.0;rm -rf /' }, { tag_name: '../../etc/passwd' },
      { tag_name: 'v1.7.0\n' }, { tag_name: 'v1.6.０' }, { tag_name: 'nightly' }, { tag_name: 'v1.5.0' },
    ]);
    const warnings: string[] = [];
    const w = await resolveWindow({ app: 'alpha', source: gh('acme/odd'), maxVersions: 10, platforms: ['linux/amd64'], warn: (m) => warnings.push(m) });
    expect(versionsOf(w)).toEqual(['1.9.10', '1.9.2', '1.5.0']);
    expect(warnings).toHaveLength(4);
    expect(warnings.join('\n')).toContain('skipped tag "v1.8.0;rm -rf /": contains characters outside [A-Za-z0-9_.+-]');
    expect(warnings.join('\n')).toContain('"../../etc/passwd"');
    expect(warnings.join('\n')).toContain('"v1.7.0\\n"');
  });

  it('includes prereleases when asked, and applies a versions range', async () => {
    emu.github.setReleases('acme/pre', [{ tag_name: 'v2.0.0-rc.1', prerelease: true }, { tag_name: 'v1.2.0' }, { tag_name: 'v0.9.0' }]);
    const w = await resolveWindow({ app: 'alpha', source: gh('acme/pre'), maxVersions: 5, platforms: ['linux/amd64'], includePrereleases: true, versions: '>=1.0.0-0' });
    expect(versionsOf(w)).toEqual(['2.0.0-rc.1', '1.2.0']);
  });

  it('sends GITHUB_TOKEN as a bearer token', async () => {
    emu.github.setReleases('acme/tok', [{ tag_name: 'v1.0.0' }]);
    await resolveWindow({ app: 'alpha', source: gh('acme/tok', { GITHUB_TOKEN: 'ghp_test123' }), maxVersions: 1, platforms: ['linux/amd64'] });
    expect(emu.requests[0].authorization).toBe('Bearer ghp_test123');
  });

  it('turns a rate limit into one sentence: rate limit, reset time, GITHUB_TOKEN', async () => {
    emu.github.setReleases('acme/limited', [{ tag_name: 'v1.0.0' }]);
    emu.github.setMode('acme/limited', 'rate-limited');
    const error = await resolveWindow({ app: 'alpha', source: gh('acme/limited'), maxVersions: 1, platforms: ['linux/amd64'] }).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toMatch(/^Upstream of app "alpha" \(http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/limited\/releases\?per_page=100\): GitHub API rate limit exceeded; it resets at 20\d\d-\d\d-\d\dT/);
    expect(error.nextSteps).toContain('GITHUB_TOKEN');
  });

  it.each([
    ['html', /answered HTML instead of JSON/],
    ['truncated', /answered truncated or invalid JSON/],
    ['wrong-shape', /answered JSON of the wrong shape \(\(root\): /],
    ['not-found', /repository acme\/bad was not found/],
  ] as const)('names the app and URL when the API answers %s', async (mode, pattern) => {
    emu.github.setReleases('acme/bad', [{ tag_name: 'v1.0.0' }]);
    emu.github.setMode('acme/bad', mode);
    const error = await resolveWindow({ app: 'alpha', source: gh('acme/bad'), maxVersions: 1, platforms: ['linux/amd64'] }).catch((e) => e);
    expect(error.message).toContain('Upstream of app "alpha" (http://127.0.0.1:');
    expect(error.message).toMatch(pattern);
  });

  it('says an unreachable upstream is not reachable', async () => {
    const source = createUpstreamSource('alpha', { type: 'github-releases', repository: 'a/b', apiUrl: 'http://127.0.0.1:9' }, { env: {} });
    await expect(resolveWindow({ app: 'alpha', source, maxVersions: 1, platforms: ['linux/amd64'] })).rejects.toThrow(/is not reachable \(ECONNREFUSED\)/);
  });
});

describe('gitlab-tags', () => {
  it('URL-encodes the project, follows x-next-page, stops on a short page, and applies a -limitless pattern', async () => {
    // Given 12 tags of which 9 match `-limitless`, served 4 per page
    emu.gitlab.setTags('group/sub/mostly', ['v3.0.0-limitless', 'v3.0.0', 'v2.9.0-limitless', 'v2.8.0-limitless', 'v2.8.0',
      'v2.7.0-limitless', 'v2.6.0-limitless', 'v2.5.0-limitless', 'v2.4.0-limitless', 'v2.3.0', 'v2.3.0-limitless', 'v2.2.0-limitless']);
    emu.setMaxPerPage(4);
    const source = createUpstreamSource('mostly', { type: 'gitlab-tags', baseUrl: emu.url, project: 'group/sub/mostly' }, { env: {}, perPage: 4 });
    // When a window of 20 asks for everything
    const w = await resolveWindow({ app: 'mostly', source, maxVersions: 20, tagPattern: '^v(\\d+\\.\\d+\\.\\d+)-limitless$', platforms: ['linux/amd64'] });
    // Then all 3 pages were read, the encoded path was used, and only -limitless tags count
    expect(versionsOf(w)).toEqual(['3.0.0', '2.9.0', '2.8.0', '2.7.0', '2.6.0', '2.5.0', '2.4.0', '2.3.0', '2.2.0']);
    expect(w.versions[0].tag).toBe('v3.0.0-limitless');
    expect(w.versions[0].commit).toMatch(/^[0-9a-f]{40}$/);
    expect(emu.requests.map((r) => r.url)).toEqual([1, 2, 3].map((p) => `/api/v4/projects/group%2Fsub%2Fmostly/repository/tags?per_page=4&page=${p}&order_by=version&sort=desc`));
  });

  it('drops a version whose required file is missing for one platform, and refills the window', async () => {
    // Given 4 versions and binaries for both arches except arm64 of 2.0.0 (a redirect hop for one)
    emu.gitlab.setTags('g/p', ['v2.0.0', 'v1.9.0', 'v1.8.0', 'v1.7.0']);
    for (const v of ['2.0.0', '1.9.0', '1.8.0', '1.7.0']) for (const a of ['amd64', 'arm64']) emu.files.set(`/bin/${a}-v${v}`, 'binary');
    emu.files.delete('/bin/arm64-v2.0.0');
    emu.files.set('/bin/amd64-v1.9.0', { redirect: '/cdn/amd64-v1.9.0' });
    emu.files.set('/cdn/amd64-v1.9.0', 'binary');
    const source = createUpstreamSource('mostly', { type: 'gitlab-tags', baseUrl: emu.url, project: 'g/p' }, { env: {} });
    const warnings: string[] = [];
    // When a window of 2 with a requires probe is resolved
    const w = await resolveWindow({ app: 'mostly', source, maxVersions: 2, platforms: ['linux/amd64', 'linux/arm64'],
      requires: [`${emu.url}/bin/{arch}-v{version}`], warn: (m) => warnings.push(m) });
    // Then 2.0.0 is dropped with a warning and 1.8.0 refills the window
    expect(versionsOf(w)).toEqual(['1.9.0', '1.8.0']);
    expect(warnings).toEqual([`dropped 2.0.0: required ${emu.url}/bin/arm64-v2.0.0 answered 404`]);
  });
});

describe('git-tags', () => {
  it('reads tags and commits from a real repository over file://', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-gittags-'));
    const repo = await createGitRepo(path.join(dir, 'r'), { files: { Dockerfile: 'FROM scratch\n' }, tags: ['v1.0.0', 'v1.1.0', 'v1.10.0'], annotated: true });
    const source = createUpstreamSource('gitapp', { type: 'git-tags', url: repo.url });
    const w = await resolveWindow({ app: 'gitapp', source, maxVersions: 2, platforms: ['linux/amd64'] });
    expect(w.versions).toEqual([{ version: '1.10.0', tag: 'v1.10.0', commit: repo.commits['v1.10.0'] }, { version: '1.1.0', tag: 'v1.1.0', commit: repo.commits['v1.1.0'] }]);
  });
});

describe('selectCandidates', () => {
  it('keeps one tag per version and warns about the duplicate', () => {
    const warnings: string[] = [];
    const c = selectCandidates([{ tag: 'v1.0.0' }, { tag: '1.0.0' }], {}, (m) => warnings.push(m));
    expect(c).toEqual([{ version: '1.0.0', tag: 'v1.0.0' }]);
    expect(warnings[0]).toContain('both give version 1.0.0');
  });
});

describe('transient upstream failures', () => {
  it('retries 5xx, 429 and connection resets, then answers as if nothing happened', async () => {
    emu.github.setReleases('acme/flaky', [{ tag_name: 'v1.1.0' }, { tag_name: 'v1.0.0' }]);
    const proxy = await startFaultProxy(emu.url);
    try {
      for (const kind of ['503', '429', 'reset'] as const) {
        proxy.set({ kind, nth: [1, 2] });
        const source = createUpstreamSource('alpha', { type: 'github-releases', repository: 'acme/flaky', apiUrl: proxy.url }, { env: {} });
        const w = await resolveWindow({ app: 'alpha', source, maxVersions: 2, platforms: ['linux/amd64'] });
        expect(versionsOf(w), kind).toEqual(['1.1.0', '1.0.0']);
        expect(proxy.counts(), kind).toEqual({ requests: 3, faults: 2 });
      }
      // A body cut in half (Content-Length matching the cut) is JSON that starts right and does not
      // parse: retried like a reset; cut every time, it is a clear error naming the app.
      proxy.set({ kind: 'truncate', nth: [1] });
      const once = createUpstreamSource('alpha', { type: 'github-releases', repository: 'acme/flaky', apiUrl: proxy.url }, { env: {} });
      expect(versionsOf(await resolveWindow({ app: 'alpha', source: once, maxVersions: 2, platforms: ['linux/amd64'] }))).toEqual(['1.1.0', '1.0.0']);
      expect(proxy.counts()).toEqual({ requests: 2, faults: 1 });
      proxy.set({ kind: 'truncate', rate: 1 });
      const source = createUpstreamSource('alpha', { type: 'github-releases', repository: 'acme/flaky', apiUrl: proxy.url }, { env: {} });
      const error = await resolveWindow({ app: 'alpha', source, maxVersions: 2, platforms: ['linux/amd64'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as Error).message).toMatch(/^Upstream of app "alpha" \(http:.*\/repos\/acme\/flaky\/releases.*\): answered truncated or invalid JSON\.$/);
    } finally {
      await proxy.stop();
    }
  });

  it('gives up after 4 attempts with an error that names the app, the URL and the status', async () => {
    const proxy = await startFaultProxy(emu.url);
    proxy.set({ kind: '502', rate: 1 });
    try {
      const source = createUpstreamSource('alpha', { type: 'github-releases', repository: 'acme/flaky', apiUrl: proxy.url }, { env: {} });
      const error = await resolveWindow({ app: 'alpha', source, maxVersions: 2, platforms: ['linux/amd64'] }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/^Upstream of app "alpha" \(.*\): answered HTTP 502 4 times\.$/);
      expect(proxy.counts().requests).toBe(4);
    } finally {
      await proxy.stop();
    }
  });

  it('a required file that answers 503 is an error, never a dropped version (latest must not move back)', async () => {
    emu.gitlab.setTags('g/flaky', ['v2.0.0', 'v1.9.0']);
    for (const v of ['2.0.0', '1.9.0']) emu.files.set(`/flaky/amd64-v${v}`, 'binary');
    emu.files.set('/flaky/amd64-v2.0.0', { status: 503 });
    const source = createUpstreamSource('mostly', { type: 'gitlab-tags', baseUrl: emu.url, project: 'g/flaky' }, { env: {} });
    const error = await resolveWindow({ app: 'mostly', source, maxVersions: 1, platforms: ['linux/amd64'], requires: [`${emu.url}/flaky/{arch}-v{version}`] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toBe(`Upstream of app "mostly" (${emu.url}/flaky/amd64-v2.0.0): required file could not be checked for 2.0.0 (answered 503 after retries).`);
  });
});

