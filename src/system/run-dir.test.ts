import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { openRunDir, removeRunDirsSync, sweepStaleRunDirs, tempDir } from './run-dir.js';

const bases: string[] = [];
afterEach(async () => { for (const b of bases.splice(0)) await rm(b, { recursive: true, force: true }); });

async function base(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mirror-run-dir-test-'));
  bases.push(dir);
  return dir;
}

/** A pid that existed and is gone. */
async function deadPid(): Promise<number> {
  const child = execa('true');
  await child;
  return child.pid as number;
}

async function leftover(dir: string, owner: object | undefined) {
  await mkdir(path.join(dir, 'mirror-buildah-conf-x'), { recursive: true });
  await writeFile(path.join(dir, 'mirror-buildah-conf-x', 'auth.json'), '{"auths":{}}');
  if (owner) await writeFile(path.join(dir, 'owner.json'), JSON.stringify(owner));
}

describe('run dir', () => {
  it('is private (0700), holds the temp dirs of the run, and is gone after close', async () => {
    const run = await openRunDir();
    const inner = await tempDir('mirror-src-');
    expect(path.dirname(inner)).toBe(run.path);
    expect((await stat(run.path)).mode & 0o777).toBe(0o700);
    await run.close();
    expect(existsSync(run.path)).toBe(false);
    // With no run open, temp dirs go to the system temp dir again
    const outside = await tempDir('mirror-src-');
    expect(path.dirname(outside)).toBe(tmpdir());
    await rm(outside, { recursive: true });
  });

  it('removeRunDirsSync (the exit hook) deletes open run dirs, secrets included', async () => {
    const run = await openRunDir();
    const secret = await tempDir('mirror-buildah-conf-', { secret: true });
    await writeFile(path.join(secret, 'auth.json'), 'x');
    removeRunDirsSync();
    expect(existsSync(secret)).toBe(false);
    expect(existsSync(run.path)).toBe(false);
  });

  it('sweeps run dirs of dead processes on this host, and nothing else', async () => {
    const b = await base();
    const dead = path.join(b, 'mirror-run-dead');
    const live = path.join(b, 'mirror-run-live');
    const remote = path.join(b, 'mirror-run-remote');
    const starting = path.join(b, 'mirror-run-starting');
    const other = path.join(b, 'not-mirror');
    await leftover(dead, { pid: await deadPid(), host: hostname() });
    await leftover(live, { pid: process.ppid, host: hostname() });
    await leftover(remote, { pid: await deadPid(), host: 'elsewhere' });
    await leftover(starting, undefined);
    await leftover(other, { pid: await deadPid(), host: hostname() });
    expect(sweepStaleRunDirs(b)).toEqual([dead]);
    expect((await readdir(b)).sort()).toEqual(['mirror-run-live', 'mirror-run-remote', 'mirror-run-starting', 'not-mirror']);
  });
});
