/** Link headers (RFC 8288) as GitHub, GitLab and registries page with them: nextLink finds rel="next" wherever it stands. */
import { describe, expect, it } from 'vitest';
import { nextLink } from './http-common.js';

const rows: { from: string; link: string | string[] | undefined; next: string | undefined }[] = [
  { from: 'GitHub REST docs (pagination): prev, next, last, first',
    link: '<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last", <https://api.github.com/repositories/1300192/issues?page=1>; rel="first"',
    next: 'https://api.github.com/repositories/1300192/issues?page=4' },
  { from: 'GitHub releases, first page', link: '<https://api.github.com/repositories/9/releases?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/9/releases?per_page=100&page=7>; rel="last"',
    next: 'https://api.github.com/repositories/9/releases?per_page=100&page=2' },
  { from: 'GitHub, last page (no next)', link: '<https://api.github.com/repositories/9/releases?page=6>; rel="prev", <https://api.github.com/repositories/9/releases?page=1>; rel="first"', next: undefined },
  { from: 'Distribution / ghcr.io tags/list (relative)', link: '</v2/this-is-tobi/mirror/outline/tags/list?last=0.80.2&n=100>; rel="next"', next: '/v2/this-is-tobi/mirror/outline/tags/list?last=0.80.2&n=100' },
  { from: 'RFC 8288 §3.5: rel after another parameter', link: '<http://example.com/TheBook/chapter2>; title="next chapter"; rel="next"', next: 'http://example.com/TheBook/chapter2' },
  { from: 'RFC 8288 §3.3: several relation types in one rel', link: '<http://example.org/p3>; rel="next last"', next: 'http://example.org/p3' },
  { from: 'unquoted rel, upper case', link: '<https://x/?page=3>; REL=NEXT', next: 'https://x/?page=3' },
  { from: 'RFC 8288 §3.5: an extension relation is not next', link: '<http://example.org/>; rel="start http://example.net/relation/other"', next: undefined },
  { from: 'two Link fields', link: ['<https://x/?page=1>; rel="first"', '<https://x/?page=2>; rel="next"'], next: 'https://x/?page=2' },
  { from: 'no header', link: undefined, next: undefined },
];

describe('nextLink (RFC 8288, http-link-header)', () => {
  it.each(rows)('$from', ({ link, next }) => {
    expect(nextLink(link)).toBe(next);
  });
});
