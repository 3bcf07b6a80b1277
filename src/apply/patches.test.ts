import { lstat, mkdtemp, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { AbortError } from '../errors.js';
import { applyPatches, describePatch, insertAfter, renderPatches, unpinDigests } from './patches.js';

const PIN = `sha256:${'ab'.repeat(32)}`;

describe('patches', () => {
  it('unpins digests on FROM lines only, keeping flags and stage names', () => {
    const text = `FROM --platform=$BUILDPLATFORM golang:1.22@${PIN} AS build\nRUN echo x@${PIN}\nfrom ubuntu:noble@${PIN}\n`;
    expect(unpinDigests(text)).toBe(`FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN echo x@${PIN}\nfrom ubuntu:noble\n`);
  });

  it('inserts after matching lines', () => {
    expect(insertAfter('A\nARG MM_PACKAGE=x\nB', '^ARG MM_PACKAGE=.*$', 'ARG MOSTLYMATTER_BINARY')).toBe('A\nARG MM_PACKAGE=x\nARG MOSTLYMATTER_BINARY\nB');
  });

  it('applies patches in order and fails on one that changes nothing, naming file and patch', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-patch-'));
    await writeFile(path.join(dir, 'Dockerfile'), `FROM base@${PIN}\nARG MM_PACKAGE=\nRUN curl -L $MM_PACKAGE | tar -xvz\n`);
    await applyPatches(dir, [
      { unpinDigests: true },
      { file: 'Dockerfile', after: '^ARG MM_PACKAGE=.*$', insert: 'ARG BIN' },
      { file: 'Dockerfile', replace: 'curl -L $MM_PACKAGE | tar -xvz', with: 'curl -L $MM_PACKAGE | tar -xvz && true' },
    ], 'Dockerfile', 'apps.mm');
    expect(await readFile(path.join(dir, 'Dockerfile'), 'utf8')).toBe('FROM base\nARG MM_PACKAGE=\nARG BIN\nRUN curl -L $MM_PACKAGE | tar -xvz && true\n');
    await expect(applyPatches(dir, [{ unpinDigests: true }], 'Dockerfile', 'apps.mm'))
      .rejects.toThrow('apps.mm patches[0] (unpinDigests) changed nothing in Dockerfile.');
    await expect(applyPatches(dir, [{ file: '../escape', replace: 'a', with: 'b' }], 'Dockerfile', 'apps.mm'))
      .rejects.toThrow(/outside the source tree/);
  });

  it('never writes through a symlink that leaves the checkout: the outside file is untouched and the patch fails naming it', async () => {
    // Given a checkout whose committed conf.txt is a symlink to a file outside it
    const outside = await mkdtemp(path.join(tmpdir(), 'mirror-patch-outside-'));
    const victim = path.join(outside, 'host.conf');
    await writeFile(victim, 'secret=a\n');
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-patch-'));
    await symlink(victim, path.join(dir, 'conf.txt'));
    await symlink(outside, path.join(dir, 'etc'));
    await symlink(path.join(outside, 'absent'), path.join(dir, 'dangling.txt'));
    // When a patch edits it (directly, through a symlinked directory, or through a dangling symlink)
    await expect(applyPatches(dir, [{ file: 'conf.txt', replace: 'a', with: 'b' }], 'Dockerfile', 'apps.mm'))
      .rejects.toThrow(`apps.mm patches[0] (replace "a"): file "conf.txt" resolves through a symlink to ${victim}, outside the source tree`);
    await expect(applyPatches(dir, [{ file: 'etc/host.conf', replace: 'a', with: 'b' }], 'Dockerfile', 'apps.mm')).rejects.toThrow(/outside the source tree/);
    await expect(applyPatches(dir, [{ file: 'dangling.txt', replace: 'a', with: 'b' }], 'Dockerfile', 'apps.mm')).rejects.toThrow(/does not exist in the source/);
    // Then the outside file is as it was and nothing was created through the dangling link
    expect(await readFile(victim, 'utf8')).toBe('secret=a\n');
    expect(existsSync(path.join(outside, 'absent'))).toBe(false);
  });

  it('a symlink inside the checkout is followed to its target, which is edited; the link stays a link', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-patch-'));
    await writeFile(path.join(dir, 'real.conf'), 'x=a\n');
    await symlink('real.conf', path.join(dir, 'conf.txt'));
    await applyPatches(dir, [{ file: 'conf.txt', replace: 'a', with: 'b' }], 'Dockerfile', 'apps.mm');
    expect(await readFile(path.join(dir, 'real.conf'), 'utf8')).toBe('x=b\n');
    expect((await lstat(path.join(dir, 'conf.txt'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(dir, 'conf.txt'))).toBe('real.conf');
  });
});

describe('unpinDigests edges (mutation testing, issue 20)', () => {
  const H = 'a'.repeat(64);
  it('unpins indented FROM lines, extra spaces, flags, and a last line without newline; leaves FROM inside other instructions', () => {
    expect(unpinDigests(`  FROM node@sha256:${H} AS build\n`)).toBe('  FROM node AS build\n');
    expect(unpinDigests(`FROM  node@sha256:${H}\n`)).toBe('FROM  node\n');
    expect(unpinDigests(`FROM --platform=$BUILDPLATFORM  node@sha256:${H}\n`)).toBe('FROM --platform=$BUILDPLATFORM  node\n');
    expect(unpinDigests(`FROM a\nFROM node@sha256:${H}`)).toBe('FROM a\nFROM node');
    const run = `RUN echo FROM node@sha256:${H} > notes\n`;
    expect(unpinDigests(run)).toBe(run);
  });
});

describe('patch messages and templates (mutation testing, issue 20)', () => {
  it('names a patch by its kind: a replace by its first 40 characters, an insert by its anchor', () => {
    expect(describePatch({ unpinDigests: true }, 0)).toBe('patches[0] (unpinDigests)');
    expect(describePatch({ file: 'f', replace: 'x'.repeat(50), with: 'y' }, 1)).toBe(`patches[1] (replace "${'x'.repeat(40)}")`);
    expect(describePatch({ file: 'f', after: '^ARG A$', insert: 'ARG B' }, 2)).toBe('patches[2] (after "^ARG A$")');
  });

  it('renders templates in the replacement and inserted text, never in the file name or the anchor regex', () => {
    const render = (t: string) => t.replace('{version}', '1.2.3');
    expect(renderPatches([
      { file: 'f-{version}', replace: 'v={version}', with: 'w={version}' },
      { file: 'g', after: '^ARG {version}$', insert: 'ARG V={version}' },
      { unpinDigests: true },
    ], render)).toEqual([
      { file: 'f-{version}', replace: 'v=1.2.3', with: 'w=1.2.3' },
      { file: 'g', after: '^ARG {version}$', insert: 'ARG V=1.2.3' },
      { unpinDigests: true },
    ]);
  });

  it('says what to do next when the file is missing or the patch changed nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-patch-'));
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM base\n');
    const missing = await applyPatches(dir, [{ file: 'gone', replace: 'a', with: 'b' }], 'Dockerfile', 'apps.mm').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AbortError);
    expect(missing).toMatchObject({ message: 'apps.mm patches[0] (replace "a"): file gone does not exist in the source.', nextSteps: 'Upstream may have moved it; update the patch.' });
    const noop = await applyPatches(dir, [{ file: 'Dockerfile', replace: 'nothing here', with: 'b' }], 'Dockerfile', 'apps.mm').catch((e: unknown) => e);
    expect(noop).toMatchObject({ nextSteps: expect.stringMatching(/^Upstream changed the file; update or remove the patch/) });
  });

  it('closes the file it wrote (no descriptor left open per patch)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-patch-'));
    await writeFile(path.join(dir, 'Dockerfile'), 'A\n');
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 20; i++) await applyPatches(dir, [{ file: 'Dockerfile', replace: i % 2 ? 'B' : 'A', with: i % 2 ? 'A' : 'B' }], 'Dockerfile', 'apps.mm');
    expect(open()).toBeLessThan(before + 10);
  });
});
