/**
 * Credentials in a git URL reach git through its environment, never its command line: a real
 * smart-HTTP server with Basic auth (git http-backend), and a `git` on PATH that records the
 * arguments it was started with (what `ps` shows every user of the machine).
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRepo, git } from '../../test/rig/git.js';
import { startGitHttp, type GitHttpServer } from '../../test/rig/git-http.js';
import { SourceCache } from '../apply/source.js';
import { gitTags } from '../providers/upstream/git-tags.js';
import { gitRemote, readsConfigFromEnv } from './git-remote.js';

const SECRET = 'glpat-s3cr3t-t0ken';

describe('gitRemote', () => {
  it('moves user info into an Authorization header scoped to the origin', () => {
    const r = gitRemote(`https://oauth2:${SECRET}@git.example.com:8443/group/app.git`, {});
    expect(r.url).toBe('https://git.example.com:8443/group/app.git');
    expect(r.env).toEqual({
      GIT_CONFIG_COUNT: '2',
      // first an empty value, which empties the header list (a checkout's own Authorization header)
      GIT_CONFIG_KEY_0: 'http.https://git.example.com:8443/.extraHeader',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.https://git.example.com:8443/.extraHeader',
      GIT_CONFIG_VALUE_1: `Authorization: Basic ${Buffer.from(`oauth2:${SECRET}`).toString('base64')}`,
    });
  });

  it('decodes percent-encoded user info and appends after GIT_CONFIG entries already set', () => {
    const r = gitRemote('http://me%40corp:p%3Ass@h/r.git', { GIT_CONFIG_COUNT: '2' });
    expect(r.env.GIT_CONFIG_COUNT).toBe('4');
    expect([r.env.GIT_CONFIG_KEY_2, r.env.GIT_CONFIG_VALUE_2]).toEqual(['http.http://h/.extraHeader', '']);
    expect(r.env.GIT_CONFIG_KEY_3).toBe('http.http://h/.extraHeader');
    expect(Buffer.from(r.env.GIT_CONFIG_VALUE_3.replace('Authorization: Basic ', ''), 'base64').toString()).toBe('me@corp:p:ss');
  });

  it('keeps a % that is not an escape as typed instead of failing', () => {
    const r = gitRemote('https://u:p%zz@h/r.git', {});
    expect(Buffer.from(r.env.GIT_CONFIG_VALUE_1.replace('Authorization: Basic ', ''), 'base64').toString()).toBe('u:p%zz');
  });

  it('knows which git reads GIT_CONFIG_COUNT (2.31 and newer)', () => {
    expect(readsConfigFromEnv('git version 2.39.5')).toBe(true);
    expect(readsConfigFromEnv('git version 2.31.0')).toBe(true);
    expect(readsConfigFromEnv('git version 3.0.0')).toBe(true);
    expect(readsConfigFromEnv('git version 2.30.2')).toBe(false);
    expect(readsConfigFromEnv('git version 2.25.1')).toBe(false);
    expect(readsConfigFromEnv('not git')).toBe(false);
  });

  it('leaves URLs without credentials, and non-HTTP URLs, as they are', () => {
    for (const u of ['https://github.com/o/r.git', 'file:///tmp/r', 'ssh://git@host/r.git', 'git@host:o/r.git']) {
      expect(gitRemote(u, {})).toEqual({ url: u, env: {} });
    }
  });
});

describe('git with credentials in the URL (real smart-HTTP server)', () => {
  let server: GitHttpServer;
  let argvLog: string;
  let savedPath: string | undefined;
  let url: string;

  beforeAll(async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'mirror-git-http-'));
    const repo = await createGitRepo(path.join(root, 'work'), { files: { 'a.txt': '{tag}\n' }, tags: ['v1.0.0', 'v1.1.0'] });
    await git(root, ['clone', '-q', '--bare', repo.dir, path.join(root, 'app.git')]);
    server = await startGitHttp(root, 'oauth2', SECRET);
    url = `${server.url.replace('http://', `http://oauth2:${SECRET}@`)}/app.git`;
    // A `git` first on PATH that logs its argv, then runs the real one.
    const shim = await mkdtemp(path.join(tmpdir(), 'mirror-git-shim-'));
    argvLog = path.join(shim, 'argv.log');
    await writeFile(argvLog, '');
    const realGit = (await import('execa')).execaSync('sh', ['-c', 'command -v git']).stdout;
    await writeFile(path.join(shim, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`);
    await chmod(path.join(shim, 'git'), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${shim}:${savedPath}`;
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    await server?.close();
  });

  it('fetches the tag and lists tags, with the token never on a git command line', async () => {
    const cache = new SourceCache();
    try {
      const checkout = await cache.checkout(url, 'v1.1.0');
      expect(await readFile(path.join(checkout.dir, 'a.txt'), 'utf8')).toBe('v1.1.0\n');
    } finally { await cache.cleanup(); }
    const pages = [];
    for await (const page of gitTags({ app: 'app', url }).pages()) pages.push(...page);
    expect(pages.map((t) => t.tag).sort()).toEqual(['v1.0.0', 'v1.1.0']);
    // The server saw the credentials (so they did travel), the process table never did.
    expect(server.authorizations.length).toBeGreaterThan(0);
    const argv = await readFile(argvLog, 'utf8');
    expect(argv).toMatch(/fetch .*app\.git/);
    expect(argv).toMatch(/ls-remote .*app\.git/);
    expect(argv).not.toContain(SECRET);
  });

  it('replaces an Authorization header git already has (actions/checkout leaves one), not sends two', async () => {
    // Given the job's environment already gives git a (wrong) header for every URL
    const saved = { ...process.env };
    Object.assign(process.env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('x-access-token:ghs_other').toString('base64')}` });
    const seen = server.authorizations.length;
    try {
      const pages = [];
      for await (const page of gitTags({ app: 'app', url }).pages()) pages.push(...page);
      // Then git sent ours alone (node keeps the first of two Authorization headers: the old one would fail)
      expect(pages.map((t) => t.tag).sort()).toEqual(['v1.0.0', 'v1.1.0']);
      expect(server.authorizations.length).toBeGreaterThan(seen);
    } finally {
      for (const k of ['GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0']) {
        if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
      }
    }
  });
});
