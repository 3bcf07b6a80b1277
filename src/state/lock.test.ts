/**
 * The lock's race and timing paths (issue 20), on the file medium: the wait and its timeout, lease
 * renewal and when it stops, force-unlock racing a renewal or another remover, a lock file that
 * cannot be created yet cannot be read. A FileLocker subclass counts looks and rewrites and plays
 * the other process in the window between a look and what follows it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError } from '../errors.js';
import { holderInfo, LockedError, lockWait, unreadableHolder } from './lock-core.js';
import { pidAlive } from '../system/pid.js';
import { FileLocker, type FileLockerOptions } from './lock.js';
import type { LockInfo } from './types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stateFile = async () => path.join(await mkdtemp(path.join(tmpdir(), 'mirror-lock-')), 'state.json');
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as LockInfo;
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

/** A FileLocker that counts its looks and rewrites, and can run a hook right after a look. */
class Watched extends FileLocker {
  reads = 0;
  rewrites = 0;
  /** Runs after the next look (then cleared): another process acting in that window. */
  afterRead?: () => Promise<void>;
  /** Pretend the lock file is never there (a file that refuses creation yet cannot be read). */
  blind = false;
  protected override async read() {
    this.reads += 1;
    const seen = this.blind ? undefined : await super.read();
    const hook = this.afterRead;
    this.afterRead = undefined;
    await hook?.();
    return seen;
  }
  protected override async rewrite(...args: Parameters<FileLocker['rewrite']>) {
    this.rewrites += 1;
    await super.rewrite(...args);
    this.rewritten += 1;
  }
  /** Renewals completed. */
  rewritten = 0;
  /** Resolves right after the next renewal landed (so none is in flight). */
  async renewed(): Promise<void> {
    const n = this.rewritten;
    while (this.rewritten === n) await sleep(2);
  }
  /** What closing a backend does: stop renewing. */
  stopAll(): void {
    this.stopRenewals();
  }
}
const watched = (file: string, opts: FileLockerOptions = {}) => new Watched(file, { pollMs: 20, ...opts });

describe('lock-core pieces', () => {
  it('LockedError names itself and keeps the holder', () => {
    const holder = holderInfo('id-1', 'apply', 'ci', 1000);
    const error = new LockedError('/s.json', holder);
    expect(error.name).toBe('LockedError');
    expect(error.holder).toBe(holder);
  });

  it('an unreadable lock stands for a holder of one lease from when it was written', () => {
    expect(unreadableHolder('file /x.lock', 1000, 500)).toEqual({
      id: 'unreadable', operation: 'unknown', who: 'an unreadable lock file /x.lock', host: 'unknown', pid: 0,
      created: new Date(1000).toISOString(), expires: new Date(1500).toISOString(),
    });
  });

  it('pidAlive: this process is alive, an exited one is not', async () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(await deadPid())).toBe(false);
  });

  it('lockWait resolves after its pause, and rejects at once when stopped before or during it', async () => {
    const holder = holderInfo('h', 'apply', 'ci', 1000);
    await expect(lockWait(10, undefined, holder)).resolves.toBeUndefined();
    const message = `Stopped while waiting for the state lock held by ci (pid ${process.pid} on ${os.hostname()}).`;
    const aborted = AbortSignal.abort();
    const before = await errorOf(lockWait(5000, aborted, holder));
    expect(before).toBeInstanceOf(AbortError);
    expect(before!.message).toBe(message);
    expect((before as AbortError).nextSteps).toBe('Nothing was changed.');
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    const during = await errorOf(lockWait(5000, controller.signal, holder));
    expect(during!.message).toBe(message);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('FileLocker: waiting', () => {
  it('a --lock-timeout shorter than the poll interval ends the wait on time', async () => {
    const file = await stateFile();
    const held = await new FileLocker(file).acquire('apply');
    const started = Date.now();
    await expect(new FileLocker(file, { pollMs: 5000 }).acquire('plan', { timeoutMs: 100 })).rejects.toBeInstanceOf(LockedError);
    expect(Date.now() - started).toBeLessThan(2000);
    await held.release();
  });

  it('looks again every pollMs while waiting', async () => {
    const file = await stateFile();
    const held = await new FileLocker(file).acquire('apply');
    const waiter = watched(file, { pollMs: 10 });
    await expect(waiter.acquire('plan', { timeoutMs: 300 })).rejects.toBeInstanceOf(LockedError);
    expect(waiter.reads).toBeGreaterThan(6); // the default 200 ms would look 2–3 times
    await held.release();
  });

  it('a lock file that refuses creation yet is never there to read: three quick retries, then polls, then an error at the deadline', async () => {
    const file = await stateFile();
    await writeFile(`${file}.lock`, JSON.stringify(holderInfo('other', 'apply', 'ci', 60_000)));
    const blind = watched(file, { pollMs: 5000 });
    blind.blind = true;
    const started = Date.now();
    const error = await errorOf(blind.acquire('apply', { timeoutMs: 100 }));
    expect(error).toBeInstanceOf(AbortError);
    expect(error!.message).toBe(`Cannot take the lock ${file}.lock: it cannot be created, yet there is no lock file to read.`);
    expect((error as AbortError).nextSteps).toBe(`Check ${path.dirname(file)} (permissions, a broken link), then run again.`);
    expect(blind.reads).toBe(5); // 3 at once, one after a pause cut to the deadline, one that gives up
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('takes the first lock in a directory that does not exist yet, however deep', async () => {
    const file = path.join(path.dirname(await stateFile()), 'a', 'b', 'state.json');
    const held = await new FileLocker(file).acquire('apply');
    expect((await readJson(`${file}.lock`)).id).toBe(held.info.id);
    await held.release();
  });

  it('takes over a dead holder without an onTakeover callback', async () => {
    const file = await stateFile();
    await writeFile(`${file}.lock`, JSON.stringify({ ...holderInfo('dead', 'apply', 'ci', 60_000), pid: await deadPid() }));
    const taken = await new FileLocker(file).acquire('apply');
    expect((await readJson(`${file}.lock`)).id).toBe(taken.info.id);
    await taken.release();
  });

  it('leaves no file handle open per lock taken', async () => {
    if (process.platform !== 'linux') return;
    const file = await stateFile();
    const fds = async () => (await readdir('/proc/self/fd')).length;
    const before = await fds();
    for (let i = 0; i < 10; i++) await (await new FileLocker(file).acquire('apply')).release();
    expect(await fds()).toBeLessThan(before + 3);
  });
});

describe('FileLocker: renewal', () => {
  it('renews about three times per lease, not more', async () => {
    const file = await stateFile();
    const l = watched(file, { leaseMs: 300 });
    const held = await l.acquire('apply');
    await sleep(350);
    expect(l.rewrites).toBeGreaterThanOrEqual(1);
    expect(l.rewrites).toBeLessThanOrEqual(5);
    await held.release();
  });

  it('leaves no file handle open per renewal', async () => {
    if (process.platform !== 'linux') return;
    const l = watched(await stateFile(), { renewMs: 15 });
    const held = await l.acquire('apply');
    const fds = async () => (await readdir('/proc/self/fd')).length;
    await l.renewed();
    const before = await fds();
    for (let i = 0; i < 8; i++) await l.renewed();
    expect(await fds()).toBeLessThan(before + 3);
    await held.release();
  });

  it('after release, and after a force-unlock, the holder stops looking at the lock', async () => {
    for (const end of ['release', 'force-unlock'] as const) {
      const file = await stateFile();
      const l = watched(file, { renewMs: 60 });
      const held = await l.acquire('apply');
      // Right after a renewal: one in flight at the unlock (its look done, its write not) would write the lock back
      await l.renewed();
      if (end === 'release') await held.release();
      else await new FileLocker(file).forceUnlock(held.info.id);
      await sleep(100); // the next renewal finds the lock gone and stops
      const reads = l.reads;
      await sleep(150);
      expect(l.reads, end).toBe(reads);
      await held.release();
    }
  });

  it('a renewal in flight when renewals are stopped (the backend closing) does not rewrite the lock', async () => {
    const file = await stateFile();
    const l = watched(file, { leaseMs: 90 });
    const held = await l.acquire('apply');
    const written = await readFile(`${file}.lock`, 'utf8');
    l.afterRead = async () => l.stopAll(); // the next renewal's look, then the stop
    await sleep(120);
    expect(l.rewrites).toBe(0);
    expect(await readFile(`${file}.lock`, 'utf8')).toBe(written);
    await held.release();
  });
});

describe('FileLocker: a renewal racing a force-unlock', () => {
  // Given a holder whose renewal has looked (its own lock) but not yet written, when in that
  // window the lock is force-unlocked and then taken by another run / left free / being written
  for (const after of ['taken', 'free', 'being written'] as const) {
    it(`never rewrites a lock force-unlocked between its look and its write (${after})`, async () => {
      const file = await stateFile();
      const holder = watched(file, { renewMs: 50 });
      const first = await holder.acquire('apply');
      let next: Awaited<ReturnType<FileLocker['acquire']>> | undefined;
      holder.afterRead = async () => {
        await new FileLocker(file).forceUnlock(first.info.id);
        if (after === 'taken') next = await new FileLocker(file).acquire('apply');
        if (after === 'being written') await writeFile(`${file}.lock`, '{"id": "half');
      };
      await sleep(200);
      // Then the lock file is what the window left, and the old holder stopped renewing
      if (after === 'taken') expect((await readJson(`${file}.lock`)).id).toBe(next!.info.id);
      if (after === 'free') expect(await readdir(path.dirname(file))).toEqual([]);
      if (after === 'being written') expect(await readFile(`${file}.lock`, 'utf8')).toBe('{"id": "half');
      const reads = holder.reads;
      await sleep(120);
      expect(holder.reads).toBe(reads);
      await first.release();
      await next?.release();
    });
  }

  it('renewal keeps the lock file as it was written, byte for byte, but for the expiry', async () => {
    const file = await stateFile();
    const l = watched(file, { renewMs: 30 });
    const held = await l.acquire('apply');
    const before = await readFile(`${file}.lock`, 'utf8');
    await l.renewed();
    await l.renewed(); // the second renewal checks the text the first one wrote
    const after = await readFile(`${file}.lock`, 'utf8');
    expect(after).not.toBe(before);
    expect(JSON.parse(after)).toEqual({ ...held.info, expires: JSON.parse(after).expires });
    expect(Date.parse(JSON.parse(after).expires)).toBeGreaterThan(Date.parse(held.info.expires));
    expect(after).toHaveLength(before.length);
    await held.release();
  });
});

describe('FileLocker: force-unlock', () => {
  it('of a free lock says which lock file is missing; of a wrong id, which id to use', async () => {
    const file = await stateFile();
    const free = await errorOf(new FileLocker(file).forceUnlock('x'));
    expect(free!.message).toBe(`State ${file} is not locked (no ${file}.lock).`);
    expect((free as AbortError).nextSteps).toBe('Nothing to unlock.');
    const held = await new FileLocker(file).acquire('apply');
    const wrong = await errorOf(new FileLocker(file).forceUnlock('x'));
    expect((wrong as AbortError).nextSteps).toBe(`Check that holder is gone, then run: mirror force-unlock ${held.info.id}`);
    await held.release();
  });

  it('never removes a lock renewed between its look and the removal, and says so', async () => {
    // Given a holder, and a force-unlock that looks right before the holder renews
    const file = await stateFile();
    const held = await new FileLocker(file).acquire('apply');
    const unlocker = watched(file);
    const renewed = JSON.stringify({ ...held.info, expires: new Date(Date.now() + 120_000).toISOString() }, null, 2);
    unlocker.afterRead = () => writeFile(`${file}.lock`, renewed);
    // When it removes the lock by the right id
    const error = await errorOf(unlocker.forceUnlock(held.info.id));
    // Then it refuses, and the renewed lock is in place, with nothing left beside it
    expect(error!.message).toBe(`The lock on ${file} changed while unlocking it.`);
    expect((error as AbortError).nextSteps).toBe('Run `mirror force-unlock` again with the ID it reports.');
    expect(await readFile(`${file}.lock`, 'utf8')).toBe(renewed);
    expect(await readdir(path.dirname(file))).toEqual(['state.json.lock']);
    await held.release();
  });

  it('a lock removed by someone else between its look and the removal is reported as changed', async () => {
    const file = await stateFile();
    const held = await new FileLocker(file).acquire('apply');
    const unlocker = watched(file);
    unlocker.afterRead = () => unlink(`${file}.lock`);
    await expect(unlocker.forceUnlock(held.info.id)).rejects.toThrow(`The lock on ${file} changed while unlocking it.`);
    await held.release();
  });
});

describe('FileLocker: where the lock cannot be', () => {
  it('a state path under a regular file fails with that error, not a loop of directory creation', async () => {
    const dir = path.dirname(await stateFile());
    await writeFile(path.join(dir, 'plain'), '');
    const error = await errorOf(new FileLocker(path.join(dir, 'plain', 'state.json')).acquire('apply'));
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });
});
