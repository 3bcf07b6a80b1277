/**
 * The window's pure parts at their edges (issue 20's mutation run; the hostile corpus reaches them
 * only through the CLI): which upstream tags are unsafe to pass on and why, how a skipped tag is
 * shown, candidate selection, and the descent tracker that decides when a version-sorted listing
 * may stop being read.
 */
import { describe, expect, it } from 'vitest';
import { descentTracker, selectCandidates, shown, unsafeTagReason } from './window.js';

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
  });
});

describe('shown', () => {
  it('quotes, escapes everything outside printable ASCII, and cuts after 80 characters', () => {
    expect(shown('v1.0.0')).toBe('"v1.0.0"');
    expect(shown('v1\u202e0')).toBe('"v1\\u202e0"');
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

  it('an equal version does not break the descent', () => {
    const t = descentTracker();
    t.add([{ tag: 'v2.0.0' }, { tag: '2.0.0' }]);
    expect(t.below('3.0.0')).toBe(true);
  });
});
