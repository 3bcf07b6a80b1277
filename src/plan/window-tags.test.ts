/**
 * The window's pure parts at their edges (issue 20's mutation run; the hostile corpus reaches them
 * only through the CLI): which upstream tags are unsafe to pass on and why, how a skipped tag is
 * shown, candidate selection, and the descent tracker that decides when a version-sorted listing
 * may stop being read.
 */
import { describe, expect, it } from 'vitest';
import type { UpstreamSource, UpstreamTag } from '../providers/upstream/types.js';
import { descentTracker, emptyWindowReason, resolveWindow, selectCandidates, shown, unsafeTagReason } from './window.js';

describe('unsafeTagReason', () => {
  it('allows 128 characters, not 129', () => {
    expect(unsafeTagReason(`v1.0.${'0'.repeat(123)}`)).toBeUndefined();
    expect(unsafeTagReason(`v1.0.${'0'.repeat(124)}`)).toBe('longer than 128 characters');
  });

  it('names what is wrong: characters, OCI tag grammar, ".."', () => {
    expect(unsafeTagReason('v1.0.0;rm')).toBe('contains characters outside [A-Za-z0-9_.+-]');
    expect(unsafeTagReason('.v1.0.0')).toBe('is not a valid OCI tag');
    expect(unsafeTagReason('v1..0')).toBe('contains ".."');
  });

  it('accepts semver build metadata (+ is stored as _ in a tag)', () => {
    expect(unsafeTagReason('v1.0.0+build.5')).toBeUndefined();
    expect(unsafeTagReason('+.1')).toBeUndefined(); // `_.1` is a valid tag, `.1` would not be
  });
});

describe('shown', () => {
  it('quotes, escapes everything outside printable ASCII, and cuts after 80 characters', () => {
    expect(shown('v1.0.0')).toBe('"v1.0.0"');
    expect(shown('v1\u202e0')).toBe('"v1\\u202e0"');
    expect(shown('v1\u00e9')).toBe('"v1\\u00e9"'); // padded to four hex digits
    expect(shown('x'.repeat(80))).toBe(`"${'x'.repeat(80)}"`);
    expect(shown('x'.repeat(81))).toBe(`"${'x'.repeat(80)}"…`);
  });
});

describe('selectCandidates', () => {
  it('skips drafts, keeps commits, warns about a match that is no semver version', () => {
    const warnings: string[] = [];
    const got = selectCandidates([
      { tag: 'v3.0.0', draft: true }, { tag: 'v2.0.0', commit: 'c2' }, { tag: 'v1.0.0' }, { tag: 'v9' },
    ], { tagPattern: '^v(\\d+(?:\\.\\d+\\.\\d+)?)$' }, (m) => warnings.push(m));
    expect(got).toEqual([{ version: '2.0.0', tag: 'v2.0.0', commit: 'c2' }, { version: '1.0.0', tag: 'v1.0.0' }]);
    expect(warnings).toEqual(['skipped tag "v9": "9" is not a semver version']);
  });

  it('a pattern without a capture group gives no version: warned, with an empty version text', () => {
    const warnings: string[] = [];
    expect(selectCandidates([{ tag: 'v1.0.0' }], { tagPattern: '^v\\d' }, (m) => warnings.push(m))).toEqual([]);
    expect(warnings).toEqual(['skipped tag "v1.0.0": "" is not a semver version']);
  });

  it('a versions range admits prereleases only when they are included', () => {
    const tags = [{ tag: 'v2.0.0-rc.1' }, { tag: 'v1.5.0' }];
    expect(selectCandidates(tags, { versions: '>=1.0.0', includePrereleases: true }, () => undefined).map((c) => c.version)).toEqual(['2.0.0-rc.1', '1.5.0']);
    expect(selectCandidates(tags, { versions: '>=1.0.0' }, () => undefined).map((c) => c.version)).toEqual(['1.5.0']);
  });
});

describe('descentTracker', () => {
  it('a descending listing is below a version once its lowest is under it', () => {
    const t = descentTracker();
    expect(t.below('9.0.0')).toBe(false); // nothing read yet
    t.add([{ tag: 'v3.0.0' }, { tag: 'v2.0.0' }]);
    expect(t.below('2.0.0')).toBe(false);
    expect(t.below('2.0.1')).toBe(true);
    t.add([{ tag: 'latest' }, { tag: `v1.0.${'0'.repeat(130)}` }, { tag: 'v1.5.0' }]);
    expect(t.below('1.6.0')).toBe(true);
    expect(t.below('1.5.0')).toBe(false);
  });

  it('one version above the lowest so far means the listing does not descend, for good', () => {
    const t = descentTracker();
    t.add([{ tag: 'v2.0.0' }, { tag: 'v1.0.0' }, { tag: 'v1.5.0' }]);
    expect(t.below('3.0.0')).toBe(false);
    t.add([{ tag: 'v0.1.0' }]);
    expect(t.below('3.0.0')).toBe(false);
  });

  it('reads a tag of exactly 128 characters, not a longer one', () => {
    const t = descentTracker();
    t.add([{ tag: 'v3.0.0' }, { tag: `v1.0.0-${'x'.repeat(121)}` }]);
    expect(t.below('2.0.0')).toBe(true);
  });

  it('an equal version does not break the descent', () => {
    const t = descentTracker();
    t.add([{ tag: 'v2.0.0' }, { tag: '2.0.0' }]);
    expect(t.below('3.0.0')).toBe(true);
  });
});

describe('emptyWindowReason wording', () => {
  it('counts drafts in the plural, cuts examples after three, keeps the tag pattern when checking stability', () => {
    expect(emptyWindowReason([{ tag: 'v1.0.0', draft: true }, { tag: 'v2.0.0', draft: true }], {}, 0)).toBe('the window is empty: upstream returned no tags (only 2 drafts)');
    const three = ['a', 'b', 'c'].map((tag) => ({ tag }));
    expect(emptyWindowReason(three, {}, 0)).toBe(`the window is empty: upstream returned 3 tags, none matches tagPattern ^v?(\\d+\\.\\d+\\.\\d+)$ (e.g. "a", "b", "c")`);
    expect(emptyWindowReason([{ tag: 'release-1.0.0' }], { tagPattern: '^release-(\\d+\\.\\d+\\.\\d+)$', versions: '>=5' }, 0))
      .toBe('the window is empty: upstream returned 1 tag, 1 matches tagPattern, none satisfies versions >=5 (newest: 1.0.0)');
    expect(emptyWindowReason([{ tag: 'v1.0.0-rc.1' }], { includePrereleases: true, versions: '>=5' }, 0))
      .toBe('the window is empty: upstream returned 1 tag, 1 matches tagPattern, none satisfies versions >=5 (newest: 1.0.0-rc.1)');
  });
});

/** An in-memory source serving `pages` in order, counting the pages read. */
function source(pages: string[][], order: UpstreamSource['order'] = 'any'): UpstreamSource & { read: number } {
  const s = {
    url: 'mem://tags', order, read: 0,
    async *pages(): AsyncIterable<UpstreamTag[]> { for (const p of pages) { s.read++; yield p.map((tag) => ({ tag })); } },
  };
  return s;
}

describe('resolveWindow', () => {
  it('counts pages and probes as requests, and warns about nothing when nothing was odd', async () => {
    const src = source([['v3.0.0', 'v2.0.0'], ['v1.0.0']]);
    const probed: string[] = [];
    const w = await resolveWindow({ app: 'a', source: src, maxVersions: 2, platforms: ['linux/amd64', 'linux/arm64'], requires: ['https://dl/{version}/{arch}'], probe: async (url) => { probed.push(url); return { ok: true, status: 200 }; } });
    expect(w).toEqual({ app: 'a', versions: [{ version: '3.0.0', tag: 'v3.0.0' }, { version: '2.0.0', tag: 'v2.0.0' }], warnings: [], requests: 2 + 4 });
    expect(probed.sort()).toEqual(['https://dl/2.0.0/amd64', 'https://dl/2.0.0/arm64', 'https://dl/3.0.0/amd64', 'https://dl/3.0.0/arm64']);
  });

  it('a version-sorted listing stops once the window is full and the last tag read is below it; exactly full counts', async () => {
    // (page 2 holds no candidate, only a lower tag: the window has exactly maxVersions when it stops)
    const src = source([['v3.0.0', 'v2.0.0'], ['build-1.0.0'], ['v0.9.0']], 'version-desc');
    const w = await resolveWindow({ app: 'a', source: src, maxVersions: 2, platforms: ['linux/amd64'] });
    expect(w.versions.map((v) => v.version)).toEqual(['3.0.0', '2.0.0']);
    expect(src.read).toBe(2);
    // a listing in any order is read to the end
    const any = source([['v3.0.0', 'v2.0.0'], ['v1.0.0'], ['v0.9.0']]);
    await resolveWindow({ app: 'a', source: any, maxVersions: 2, platforms: ['linux/amd64'] });
    expect(any.read).toBe(3);
  });

  it('refills the window past a dropped version, probing only versions not yet accepted, and returns at most maxVersions', async () => {
    const src = source([['v4.0.0', 'v3.0.0', 'v2.0.0', 'v1.0.0']]);
    const probed: string[] = [];
    const w = await resolveWindow({
      app: 'a', source: src, maxVersions: 2, platforms: ['linux/amd64'], requires: ['https://dl/{version}'],
      probe: async (url) => { probed.push(url); return url.endsWith('4.0.0') ? { ok: false, status: 404 } : { ok: true, status: 200 }; },
    });
    expect(w.versions.map((v) => v.version)).toEqual(['3.0.0', '2.0.0']);
    expect(probed).toEqual(['https://dl/4.0.0', 'https://dl/3.0.0', 'https://dl/2.0.0']);
    expect(w.warnings).toEqual(['dropped 4.0.0: required https://dl/4.0.0 answered 404']);
  });

  it('with every candidate dropped, says so once the source is exhausted', async () => {
    const w = await resolveWindow({ app: 'a', source: source([['v2.0.0', 'v1.0.0']]), maxVersions: 1, platforms: ['linux/amd64'], requires: ['https://dl/{version}'], probe: async () => ({ ok: false, status: 404 }) });
    expect(w.versions).toEqual([]);
    expect(w.warnings.at(-1)).toMatch(/every candidate was dropped because a required URL did not answer/);
  });

  it('a probe that answers a server error stops the window with what to do next', async () => {
    const error = await resolveWindow({ app: 'a', source: source([['v1.0.0']]), maxVersions: 1, platforms: ['linux/amd64'], requires: ['https://dl/{version}'], probe: async () => ({ ok: false, status: 503, transient: true }) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ nextSteps: 'Run again later; the version is neither built nor dropped meanwhile.' });
  });
});
