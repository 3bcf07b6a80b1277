import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPatches, insertAfter, unpinDigests } from './patches.js';

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
});
