/**
 * Hostile config values: the same shell metacharacters, traversals and secrets in app names,
 * image names, registry URLs, git URLs, refs and templates. The config is the user's, but it is
 * often assembled from CI inputs (`MIRROR_REGISTRY`…), so nothing in it may reach a shell.
 */
import type { Row, RowContext } from './harness.js';

const INVALID = /^Error: Invalid config .*mirror\.config\.json: /;

/** Replace the row's only app by one under another key. */
const renameApp = (name: string) => (ctx: RowContext) => {
  ctx.config.apps = { [name]: ctx.config.apps[ctx.app] };
};

export const configRows: Row[] = [
  { name: 'app name with ;', setup: renameApp('h;touch pwned'), expect: { error: INVALID } },
  { name: 'app name with a traversal', setup: renameApp('../../evil'), expect: { error: INVALID } },
  { name: 'app name of 100k characters is not echoed back', setup: renameApp('a'.repeat(100_000)), expect: { error: INVALID } },
  {
    name: 'image name with a traversal and upper case',
    setup: (ctx) => { ctx.config.apps[ctx.app].images = { '../Evil': {} }; },
    expect: { error: INVALID },
  },
  {
    name: 'registry.url with a traversal',
    setup: (ctx) => { ctx.config.registry.url = `${ctx.corpus.registry.host}/../../etc`; },
    expect: { error: /registry\.url ".*" is not host\[:port\]\/namespace/ },
  },
  {
    name: 'registry.url with $()',
    setup: (ctx) => { ctx.config.registry.url = '$(touch pwned)/x'; },
    expect: { error: /is not host\[:port\]\/namespace/ },
  },
  {
    name: 'registry.url with user:password@ is refused without echoing the password',
    setup: (ctx) => { ctx.config.registry.url = `ci:s3cret-Pa55@${ctx.corpus.registry.host}/hostile`; },
    expect: { error: /registry\.url .*is not host\[:port\]\/namespace/, stderrHasNot: ['s3cret-Pa55'] },
  },
  {
    name: 'source.git starting with -- (a git option)',
    setup: (ctx) => { ctx.config.apps[ctx.app].source = { git: '--upload-pack=touch pwned', ref: 'v{version}' }; },
    expect: { error: INVALID },
  },
  {
    name: 'source.git with an ext:: transport (git would run a command), at apply',
    setup: (ctx) => { ctx.config.apps[ctx.app].source = { git: `ext::sh -c touch% ${ctx.canary}`, ref: 'v{version}' }; },
    command: ['apply', '--auto-approve'],
    // As if the user's gitconfig allowed ext:: (protocol.ext.allow=always): mirror must still refuse it.
    env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.ext.allow', GIT_CONFIG_VALUE_0: 'always' },
    expect: { error: /build:h\d+@1\.0\.0\/linux\/amd64.*git fetch failed: fatal: transport 'ext' not allowed/s },
  },
  {
    name: 'source.ref with ; and $() at apply (argument, never a shell)',
    setup: (ctx) => { ctx.config.apps[ctx.app].source = { git: ctx.corpus.repo.url, ref: `v{version};touch ${ctx.canary};$(touch ${ctx.canary})` }; },
    command: ['apply', '--auto-approve'],
    // Refused before git runs: the ref must be a plain tag name (it is fetched as refs/tags/<ref>).
    expect: { error: /Refusing source ref "v1\.0\.0;touch .*" of .*: not a plain tag name/ },
  },
  {
    name: 'template with an unknown placeholder',
    setup: (ctx) => { ctx.config.apps[ctx.app].source = { git: ctx.corpus.repo.url, ref: 'v{version}{$(id)}' }; },
    expect: { error: /source\.ref: unknown placeholder \{\$\(id\)\}/ },
  },
  {
    name: 'build-arg name with ;',
    setup: (ctx) => { ctx.config.apps[ctx.app].buildArgs = { 'A;touch pwned': 'x' }; },
    expect: { error: INVALID },
  },
  {
    name: 'platform with ;',
    setup: (ctx) => { ctx.config.defaults!.platforms = ['linux/amd64;touch pwned']; },
    expect: { error: /defaults\.platforms\.0: expected os\/arch/ },
  },
  {
    name: 'upstream.repository made of ".." segments (would leave /repos/ on the API host)',
    setup: (ctx) => { ctx.config.apps[ctx.app].upstream = { type: 'github-releases', repository: '../..', apiUrl: ctx.corpus.upstream.url }; },
    expect: { error: /apps\.h\d+\.upstream\.repository: expected owner\/name/ },
  },
  {
    name: 'GitLab project ".." (would leave /projects/ on the API host)',
    setup: (ctx) => { ctx.config.apps[ctx.app].upstream = { type: 'gitlab-tags', baseUrl: ctx.corpus.upstream.url, project: '..' }; },
    expect: { error: /apps\.h\d+\.upstream\.project: / },
  },
  {
    name: 'upstream apiUrl with a file: scheme',
    setup: (ctx) => { ctx.config.apps[ctx.app].upstream = { type: 'github-releases', repository: 'a/b', apiUrl: 'file:///etc/passwd' }; },
    expect: { error: /apps\.h\d+\.upstream\.apiUrl: / },
  },
  {
    name: 'tagPattern that is not a regular expression',
    setup: (ctx) => { ctx.config.apps[ctx.app].upstream = { type: 'github-releases', repository: 'a/b', apiUrl: ctx.corpus.upstream.url, tagPattern: '^v((' }; },
    expect: { error: /tagPattern: not a valid regular expression/ },
  },
  {
    name: 'state.ref with user:password@ is refused without echoing it',
    setup: (ctx) => { ctx.config.state = { backend: 'oci', ref: `ci:s3cret-Pa55@${ctx.corpus.registry.host}/hostile/state:main` }; },
    expect: { error: /state\.ref must be REGISTRY\/REPO:TAG without "@"/, stderrHasNot: ['s3cret-Pa55'] },
  },
  {
    name: 'MIRROR_REGISTRY override with $() (a CI dispatch input)',
    env: { MIRROR_REGISTRY: '$(touch pwned)' },
    expect: { error: /MIRROR_REGISTRY|registry/ },
  },
];
