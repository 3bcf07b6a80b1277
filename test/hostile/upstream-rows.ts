/**
 * Hostile upstream answers: release tags an attacker who controls an upstream repository (or the
 * network to its API) could publish. A tag reaches templates, `git clone --branch`, registry tags
 * and terminals, so each must be skipped with a warning (or the run refused), never passed on.
 */
import type { Row, RowContext } from './harness.js';
import { startScripted } from './harness.js';

const SKIPPED = /warning: h\d+: skipped tag /;

/** A release list: the hostile tag(s) next to one good version. */
const releases = (...tags: string[]) => (ctx: RowContext) => {
  ctx.corpus.upstream.github.setReleases(ctx.repository, [...tags.map((tag_name) => ({ tag_name })), { tag_name: 'v1.0.0' }]);
};

/** A tag that must be skipped with a warning, leaving the window at the good version. */
const skipped = (name: string, tag: string, stderrHasNot: (string | RegExp)[] = []): Row => ({
  name, setup: releases(tag), expect: { warning: SKIPPED, window: ['1.0.0'], stderrHasNot },
});

export const upstreamRows: Row[] = [
  skipped('tag with ; shell separator', 'v1.0.0;touch pwned'),
  skipped('tag with $() command substitution', 'v1.0.1$(touch pwned)'),
  skipped('tag with backticks', 'v1.0.2`touch pwned`'),
  skipped('tag with && and spaces', 'v1.0.3 && touch pwned'),
  skipped('tag with a pipe', 'v1.0.4|touch${IFS}pwned'),
  skipped('tag that is a relative path out of the tree', '../../../../tmp/pwned'),
  skipped('tag with a path traversal inside', 'v1.0.5/../../etc'),
  skipped('tag with ".." and no slash', 'v1..0.6'),
  skipped('tag with a newline (forged log line)', 'v1.0.7\nwarning: all good, publishing v9.9.9', [/\nwarning: all good/]),
  skipped('tag with a terminal escape sequence', 'v1.0.8\u001b[2J\u001b[31m', ['\u001b']),
  skipped('tag with a right-to-left override (spoofs what a terminal shows)', 'v1.0.9\u202egpj.exe', ['\u202e']),
  skipped('tag of 1 MB', `v1.1.0-${'a'.repeat(1024 * 1024)}`),
  skipped('tag with fullwidth digits (looks like v2.0.0)', 'v２.０.０'),
  skipped('tag with a Cyrillic letter (looks like v2.0.0)', 'ѵ2.0.0'),
  skipped('tag with Arabic-Indic digits', 'v٢.٠.٠'),
  skipped('tag starting with "-" (would be a git option)', '--upload-pack=touch${IFS}pwned'),
  skipped('tag with a NUL byte', 'v2.0.0\u0000'),
  { name: 'non-semver tag (v1.0) is not a version', setup: releases('v1.0', 'v2', 'latest', 'nightly'), expect: { window: ['1.0.0'] } },
  { name: 'leading zeros (v01.2.3) are not semver', setup: releases('v01.2.3'), expect: { warning: /skipped tag "v01\.2\.3": "01\.2\.3" is not a semver version/, window: ['1.0.0'] } },
  { name: 'a version beyond MAX_SAFE_INTEGER', setup: releases('v99999999999999999999.0.0'), expect: { window: ['1.0.0'] } },
  { name: 'duplicate versions (v1.0.0 and 1.0.0) keep one', setup: releases('1.0.0'), expect: { warning: /both give version 1\.0\.0/, window: ['1.0.0'] } },
  { name: 'the same tag twice keeps one', setup: releases('v1.0.0', 'v1.0.0'), expect: { window: ['1.0.0'] } },
  {
    name: '10,000 releases, the only good one last (100 pages)',
    setup: (ctx) => ctx.corpus.upstream.github.setReleases(ctx.repository, [
      ...Array.from({ length: 10_000 }, (_, i) => ({ tag_name: `nightly-${i}` })), { tag_name: 'v3.0.0' },
    ]),
    expect: { window: ['3.0.0'] },
  },
  {
    name: 'release JSON: tag_name is a number',
    setup: (ctx) => { ctx.config.apps[ctx.app].upstream = { type: 'github-releases', repository: 'any/thing', apiUrl: scriptedJson(ctx, [{ tag_name: 100, draft: false, prerelease: false }]) }; },
    expect: { error: /Upstream of app "h\d+" .*answered JSON of the wrong shape \(\[0\]\.tag_name: /, },
  },
  {
    name: 'release JSON: tag_name missing',
    setup: (ctx) => { ctx.config.apps[ctx.app].upstream = { type: 'github-releases', repository: 'any/thing', apiUrl: scriptedJson(ctx, [{ name: 'v1.0.0', draft: false, prerelease: false }]) }; },
    expect: { error: /answered JSON of the wrong shape \(\[0\]\.tag_name: / },
  },
  {
    name: 'release JSON: an object instead of a list',
    setup: (ctx) => ctx.corpus.upstream.github.setMode(ctx.repository, 'wrong-shape'),
    expect: { error: /answered JSON of the wrong shape \(\(root\): / },
  },
  {
    name: 'GitLab tags: hostile names and a hostile commit id',
    setup: (ctx) => {
      ctx.corpus.upstream.gitlab.setTags(`hostile/${ctx.app}`, ['v1.0.0;touch pwned', '$(touch pwned)', 'v1.0.0']);
      ctx.config.apps[ctx.app].upstream = { type: 'gitlab-tags', baseUrl: ctx.corpus.upstream.url, project: `hostile/${ctx.app}` };
    },
    expect: { warning: SKIPPED, window: ['1.0.0'] },
  },
  {
    name: 'git-tags upstream with an ext:: remote (git would run a command)',
    setup: (ctx) => { ctx.config.apps[ctx.app].upstream = { type: 'git-tags', url: `ext::sh -c touch% ${ctx.canary}` }; },
    // As if the user's gitconfig allowed ext:: (protocol.ext.allow=always): mirror must still refuse it.
    env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.ext.allow', GIT_CONFIG_VALUE_0: 'always' },
    expect: { error: /Upstream of app "h\d+" .*git ls-remote failed: fatal: transport 'ext' not allowed/ },
  },
];

/** Serve a fixed JSON answer for the releases of any repository; returns the apiUrl. Stopped with the process. */
function scriptedJson(ctx: RowContext, body: unknown): string {
  const url = `${ctx.corpus.upstream.url}/scripted/${ctx.app}`;
  ctx.corpus.upstream.files.set(`/scripted/${ctx.app}/repos/any/thing/releases`, JSON.stringify(body));
  return url;
}

/** Pagination that sends the GitHub token to another host. */
export const linkRows: Row[] = [{
  name: 'GitHub Link: rel="next" to another host does not get GITHUB_TOKEN',
  setup: async (ctx) => {
    const evil = await startScripted((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('[]'); });
    const api = await startScripted((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', link: `<${evil.url}/steal?page=2>; rel="next"` });
      res.end(JSON.stringify([{ tag_name: 'nightly', draft: false, prerelease: false }]));
    });
    ctx.config.apps[ctx.app].upstream = { type: 'github-releases', repository: 'any/thing', apiUrl: api.url };
    ctx.afterwards(async () => {
      const leaked = evil.seen.filter((s) => s.authorization);
      await Promise.all([evil.stop(), api.stop()]);
      if (leaked.length > 0) throw new Error(`GITHUB_TOKEN reached another host: ${JSON.stringify(leaked)}`);
      if (!api.seen.some((s) => s.authorization === 'Bearer ghp_hostileToken123')) throw new Error('the API itself never saw the token: the row proves nothing');
    });
  },
  env: { GITHUB_TOKEN: 'ghp_hostileToken123' },
  expect: { error: /pagination link .*another host/i },
}];
