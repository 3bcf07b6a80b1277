/**
 * Source preparation against real git repositories: the tag is what gets built (never a branch of
 * the same name), the commit must be the planned one, and per-build copies keep symlinks as they are.
 */
import { lstat, mkdtemp, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitRepo, git } from '../../test/rig/git.js';
import { assertPlannedCommit, SourceCache } from './source.js';

let cache: SourceCache | undefined;
afterEach(async () => { await cache?.cleanup(); cache = undefined; });

describe('source checkouts', () => {
  it('fetches exactly refs/tags/<ref>: a branch named like the tag is never built', async () => {
    // Given a repository with tag v1.0.0 and, pushed later, a branch also named v1.0.0 with other content
    const repo = await createGitRepo(await mkdtemp(path.join(tmpdir(), 'mirror-src-test-')), { files: { 'app.txt': 'tag content {tag}\n' }, tags: ['v1.0.0'] });
    await git(repo.dir, ['checkout', '-q', '-b', 'v1.0.0']);
    await writeFile(path.join(repo.dir, 'app.txt'), 'branch content\n');
    await git(repo.dir, ['commit', '-qam', 'evil branch']);
    await git(repo.dir, ['checkout', '-q', 'main']);
    // When the source is checked out at v1.0.0
    cache = new SourceCache();
    const checkout = await cache.checkout(repo.url, 'v1.0.0');
    // Then it is the tag's commit and content
    expect(checkout.commit).toBe(repo.commits['v1.0.0']);
    expect(await readFile(path.join(checkout.dir, 'app.txt'), 'utf8')).toBe('tag content v1.0.0\n');
    // and a ref that is only a branch is not found at all
    await git(repo.dir, ['branch', 'only-a-branch']);
    await expect(cache.checkout(repo.url, 'only-a-branch')).rejects.toThrow(/git fetch failed: .*refs\/tags\/only-a-branch/);
  });

  it('checks out the commit an annotated tag points at (what git ls-remote peels for the plan)', async () => {
    const repo = await createGitRepo(await mkdtemp(path.join(tmpdir(), 'mirror-src-test-')), { files: { 'a.txt': '{tag}\n' }, tags: ['v3.0.0'], annotated: true });
    cache = new SourceCache();
    const checkout = await cache.checkout(repo.url, 'v3.0.0');
    expect(checkout.commit).toBe(repo.commits['v3.0.0']);
    expect(await readFile(path.join(checkout.dir, 'a.txt'), 'utf8')).toBe('v3.0.0\n');
  });

  it('refuses a checkout whose commit is not the one the plan recorded, naming both', async () => {
    const checkout = { dir: '/x', commit: 'a'.repeat(40) };
    expect(() => assertPlannedCommit(checkout, 'a'.repeat(40), { address: 'app@1.0.0/linux/amd64', git: 'https://u:tok@h/r.git', ref: 'v1.0.0' })).not.toThrow();
    expect(() => assertPlannedCommit(checkout, undefined, { address: 'app@1.0.0/linux/amd64', git: 'https://h/r.git', ref: 'v1.0.0' })).not.toThrow();
    expect(() => assertPlannedCommit(checkout, 'b'.repeat(40), { address: 'app@1.0.0/linux/amd64', git: 'https://u:tok@h/r.git', ref: 'v1.0.0' }))
      .toThrow(`app@1.0.0/linux/amd64: tag v1.0.0 of https://h/r.git is at commit ${'a'.repeat(40)}, but the plan recorded ${'b'.repeat(40)}`);
  });

  it('refuses refs that are not plain tag names, and keeps a token in source.git out of the error', async () => {
    cache = new SourceCache();
    expect(() => cache!.checkout('https://oauth2:glpat-SECRET@127.0.0.1:9/app.git', 'v1:evil')).toThrow(/not a plain tag name/);
    const error = await cache.checkout('http://oauth2:glpat-SECRET@127.0.0.1:9/app.git', 'v1.0.0').catch((e: Error & { nextSteps?: string }) => e);
    expect(String((error as Error).message) + (error as { nextSteps?: string }).nextSteps).not.toContain('glpat-SECRET');
    expect((error as { nextSteps?: string }).nextSteps).toContain('http://127.0.0.1:9/app.git');
  });

  it('gives each build a pristine copy that keeps relative symlinks relative (no link into the shared clone)', async () => {
    const repo = await createGitRepo(await mkdtemp(path.join(tmpdir(), 'mirror-src-test-')), { files: {}, tags: [] });
    await writeFile(path.join(repo.dir, 'real.conf'), 'x=a\n');
    await symlink('real.conf', path.join(repo.dir, 'conf.txt'));
    await git(repo.dir, ['add', '-A']);
    await git(repo.dir, ['commit', '-qm', 'link']);
    await git(repo.dir, ['tag', 'v2.0.0']);
    cache = new SourceCache();
    const checkout = await cache.checkout(repo.url, 'v2.0.0');
    const one = await cache.workingCopy(checkout);
    const two = await cache.workingCopy(checkout);
    expect(await readlink(path.join(one, 'conf.txt'))).toBe('real.conf');
    expect((await lstat(path.join(one, '.git')).catch(() => undefined))).toBeUndefined();
    // Editing image one's copy through its link leaves image two's and the clone's as they were
    await writeFile(path.join(one, 'conf.txt'), 'x=edited\n');
    expect(await readFile(path.join(two, 'conf.txt'), 'utf8')).toBe('x=a\n');
    expect(await readFile(path.join(checkout.dir, 'real.conf'), 'utf8')).toBe('x=a\n');
  });
});
