import { describe, expect, it } from 'vitest';
import { emptyWindowReason } from './window.js';

const tags = (...names: string[]) => names.map((tag) => ({ tag }));

describe('emptyWindowReason: why a window is empty, in terms of what upstream returned', () => {
  it('no tags, or only drafts', () => {
    expect(emptyWindowReason([], {}, 0)).toBe('the window is empty: upstream returned no tags');
    expect(emptyWindowReason([{ tag: 'v1.0.0', draft: true }], {}, 0)).toBe('the window is empty: upstream returned no tags (only 1 draft)');
  });

  it('tags none of which matches the pattern: count, pattern and examples', () => {
    expect(emptyWindowReason(tags('v1.0.0', 'v1.1.0', 'v2.0.0', 'v3.0.0'), { tagPattern: '^release-(\\d+\\.\\d+\\.\\d+)$' }, 0))
      .toBe('the window is empty: upstream returned 4 tags, none matches tagPattern ^release-(\\d+\\.\\d+\\.\\d+)$ (e.g. "v1.0.0", "v1.1.0", "v2.0.0", …)');
  });

  it('only prereleases, a range nothing satisfies, or every candidate dropped by requires', () => {
    expect(emptyWindowReason(tags('v1.0.0-rc1'), { tagPattern: '^v(.*)$' }, 0))
      .toBe('the window is empty: upstream returned 1 tag, 1 matches tagPattern, none is a stable release (prereleases are excluded; includePrereleases: true admits them)');
    expect(emptyWindowReason(tags('v1.0.0', 'v1.2.0'), { versions: '>=2.0.0' }, 0))
      .toBe('the window is empty: upstream returned 2 tags, 2 match tagPattern, none satisfies versions >=2.0.0 (newest: 1.2.0)');
    expect(emptyWindowReason(tags('v1.0.0'), {}, 1)).toMatch(/1 matches tagPattern, and every candidate was dropped because a required URL did not answer/);
  });

  it('tags the pattern matches but that give no semver version are named as unusable, not as prereleases', () => {
    // Given a tagPattern that captures `1.0` and `banana`, neither of them semver
    const reason = emptyWindowReason(tags('v1.0', 'vbanana'), { tagPattern: '^v(.*)$' }, 0);
    // Then the reason points at the warnings (which name each tag), not at includePrereleases
    expect(reason).toBe('the window is empty: upstream returned 2 tags, 2 match tagPattern, none is a usable version (see the warnings above)');
    // and a prerelease among them is still reported as what it is
    expect(emptyWindowReason(tags('v1.0', 'v2.0.0-rc.1'), { tagPattern: '^v(.*)$' }, 0))
      .toBe('the window is empty: upstream returned 2 tags, 2 match tagPattern, none is a stable release (prereleases are excluded; includePrereleases: true admits them)');
  });
});
