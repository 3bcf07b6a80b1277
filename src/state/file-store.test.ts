import { lstat, mkdir, mkdtemp, readdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BugError, StateError } from '../errors.js';
import { FileStateStore, writeFileAtomic } from './file-store.js';
import { FileLocker } from './lock.js';
import { LockedError } from './lock-core.js';
import { newState } from './new-state.js';
import type { LockHandle, LockInfo, State } from './types.js';

async function stateFile() {
  return path.join(await mkdtemp(path.join(tmpdir(), 'mirror-fs-')), 'state.json');
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The pid of a process that has exited (`node -e 0`). */
async function deadProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
const withTag = (s: State, tag: string): State => ({ ...s, history: [...s.history, { time: 'now', who: 'test', operation: 'apply', action: 'tag', address: `a:${tag}` }] });

describe('FileStateStore', () => {
  it('refuses a corrupt file in one sentence naming it and the backup, and never overwrites it', async () => {
    // Given a state written twice (so a backup exists), then corrupted
    const file = await stateFile();
    const store = new FileStateStore(file);
    const first = await store.write(newState());
    await store.write(first);
    const garbage = '{"formatVersion": 1, "lineage": ';
    await writeFile(file, garbage);
    // When it is read
    const error = await store.read().catch((e: unknown) => e);
    // Then the error names the file, the problem and the backup, with what to do next
    expect(error).toBeInstanceOf(StateError);
    const { message, nextSteps } = error as StateError;
    expect(message).toMatch(new RegExp(`^State file ${file} is corrupt: not valid JSON \\(.+\\); the previous state is in ${file}\\.backup\\.$`));
    expect(nextSteps).toContain(`cp ${file}.backup ${file}`);
    expect(nextSteps).toContain('fix the file by hand');
    // And a write is refused, leaving the corrupt bytes and the backup as they were
    await expect(store.write(first)).rejects.toBeInstanceOf(StateError);
    await expect(store.write(newState())).rejects.toBeInstanceOf(StateError);
    expect(await readFile(file, 'utf8')).toBe(garbage);
    expect((await readJson(store.backupPath)).serial).toBe(1);
  });

  it('names the first wrong field of a file that parses but is not state, and says there is no backup', async () => {
    const file = await stateFile();
    await writeFile(file, JSON.stringify({ ...newState(), serial: 'seven' }));
    const error = (await new FileStateStore(file).read().catch((e: unknown) => e)) as StateError;
    expect(error.message).toMatch(/is corrupt: serial: .*there is no backup/);
    expect(error.nextSteps).toMatch(/fix the file by hand/i);
  });

  it('treats an empty file as corrupt, not as "no state yet"', async () => {
    const file = await stateFile();
    await writeFile(file, '');
    const store = new FileStateStore(file);
    await expect(store.read()).rejects.toThrow(/is corrupt: the file is empty/);
    await expect(store.write(newState())).rejects.toBeInstanceOf(StateError);
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('reads undefined again once the file is gone (no stale cached copy)', async () => {
    const file = await stateFile();
    const store = new FileStateStore(file);
    await store.write(newState());
    const { unlink } = await import('node:fs/promises');
    await unlink(file);
    expect(await store.read()).toBeUndefined();
  });

  it('ignores temp files left by a killed writer', async () => {
    // Given a good state and the temp file of a writer killed before its rename
    const file = await stateFile();
    const store = new FileStateStore(file);
    const written = await store.write(newState());
    await writeFile(`${file}.tmp-999-abcd`, '{"half":');
    // Then reads see the good state and writes go on
    expect(await store.read()).toEqual(written);
    expect((await store.write(written)).serial).toBe(2);
  });

  it('keeps the previous state, byte for byte, as the backup', async () => {
    const file = await stateFile();
    const store = new FileStateStore(file);
    const first = await store.write(newState());
    const firstBytes = await readFile(file, 'utf8');
    const second = await store.write(withTag(first, 'latest'));
    expect(await readFile(store.backupPath, 'utf8')).toBe(firstBytes);
    await store.write(second);
    expect((await readJson(store.backupPath)).history).toHaveLength(1);
    expect((await readJson(store.backupPath)).serial).toBe(2);
  });

  it('replace (state push) stores the given state as is, into new directories, keeping the previous bytes as the backup', async () => {
    // Given no state yet, in a directory that does not exist
    const file = path.join(path.dirname(await stateFile()), 'new', 'state.json');
    const store = new FileStateStore(file);
    const pushed = { ...newState(), serial: 7, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11' };
    // When a state is pushed, then it is stored exactly (no serial bump, any lineage) with no backup
    expect(await store.replace(pushed)).toEqual(pushed);
    expect(await store.read()).toEqual(pushed);
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
    const before = await readFile(file, 'utf8');
    // When another is pushed over it, then the first one's bytes are the backup
    const other = { ...newState(), serial: 1 };
    await store.replace(other);
    expect(await store.read()).toEqual(other);
    expect(await readFile(store.backupPath, 'utf8')).toBe(before);
    // and an invalid state is refused before anything is touched
    await expect(store.replace({ ...other, serial: -1 } as State)).rejects.toThrow();
    expect(await store.read()).toEqual(other);
  });

  it('creates parent directories and leaves no temp files behind', async () => {
    const file = path.join(path.dirname(await stateFile()), 'a', 'b', 'state.json');
    const store = new FileStateStore(file);
    await store.write(await store.write(newState()));
    expect((await readdir(path.dirname(file))).sort()).toEqual(['state.json', 'state.json.backup']);
  });

  it('lets exactly one of two concurrent writers of the same serial win', async () => {
    // Given two stores (two services in one process) that both read serial 1
    const file = await stateFile();
    const base = await new FileStateStore(file).write(newState());
    const [a, b] = [new FileStateStore(file), new FileStateStore(file)];
    // When both write at once
    const results = await Promise.allSettled([a.write(withTag(base, 'a')), b.write(withTag(base, 'b'))]);
    // Then one lands at serial 2 and the other is refused as stale, not silently lost
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(StateError);
    expect((await a.read())!.serial).toBe(2);
  });

  it('treats writing invalid state as a bug, naming the file and the field', async () => {
    const file = await stateFile();
    const bad = { ...newState(), lineage: 'not-a-uuid' };
    const error = await new FileStateStore(file).write(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BugError);
    expect((error as Error).message).toContain(`${file}: lineage:`);
  });
});

describe('FileLocker', () => {
  const lockOf = (file: string, over: Partial<LockInfo>): LockInfo => ({
    id: 'other', operation: 'apply', who: 'ci@runner', host: os.hostname(), pid: process.pid,
    created: new Date().toISOString(), expires: new Date(Date.now() + 60_000).toISOString(), ...over,
  });

  it('takes over a lock whose holder on this host is dead, reporting the holder', async () => {
    // Given a lock file written for a process that has exited
    const file = await stateFile();
    const deadPid = await deadProcess();
    await writeFile(`${file}.lock`, JSON.stringify(lockOf(file, { id: 'dead-holder', pid: deadPid })));
    // When another run takes the lock, without waiting
    const seen: string[] = [];
    const taken = await new FileLocker(file).acquire('apply', { onTakeover: (o) => seen.push(`${o.id}:${o.pid}`) });
    // Then it gets it at once and was told who held it
    expect(seen).toEqual([`dead-holder:${deadPid}`]);
    expect((await readJson(`${file}.lock`)).id).toBe(taken.info.id);
    await taken.release();
  });

  it('does not take over a dead pid on another host while its lease runs', async () => {
    const file = await stateFile();
    await writeFile(`${file}.lock`, JSON.stringify(lockOf(file, { id: 'remote', host: 'elsewhere', pid: await deadProcess() })));
    const error = await new FileLocker(file).acquire('apply').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toContain('pid');
    expect((error as Error).message).toContain('on elsewhere');
    expect((error as Error).message).toContain('lock ID remote');
  });

  it('treats a fresh unreadable lock file as held, and one older than the lease as abandoned', async () => {
    // Given a lock file that is not JSON (a holder mid-create, or killed mid-create)
    const file = await stateFile();
    await writeFile(`${file}.lock`, '{"id": "half');
    // Then while fresh it holds the state
    await expect(new FileLocker(file, { leaseMs: 10_000 }).acquire('apply', { timeoutMs: 50 })).rejects.toThrow(/locked by an unreadable lock file/);
    // And once older than the lease it is taken over
    const old = new Date(Date.now() - 20_000);
    await utimes(`${file}.lock`, old, old);
    const seen: string[] = [];
    const taken = await new FileLocker(file, { leaseMs: 10_000 }).acquire('apply', { onTakeover: (o) => seen.push(o.id) });
    expect(seen).toEqual(['unreadable']);
    await taken.release();
  });

  it('treats a fresh lock file that is JSON but not a lock (no id, no expires, null) as held, not as expired', async () => {
    // A lock without an expiry must not read as "expired": that would take over a live holder's lock.
    const file = await stateFile();
    for (const text of ['{"who":"ci@runner"}', '{"id":"x"}', '{"expires":"2999-01-01T00:00:00Z"}', 'null']) {
      await writeFile(`${file}.lock`, text);
      await expect(new FileLocker(file, { leaseMs: 10_000 }).acquire('apply', { timeoutMs: 50 }), text).rejects.toThrow(/locked by an unreadable lock file/);
    }
  });

  it('does not take over a running lease on this host whose pid is not a process id (0 or negative)', async () => {
    // Only a positive pid names one process: probing a negative one (signal 0, nothing is sent)
    // asks about a process group, and "no such group" must not count as a dead holder.
    const file = await stateFile();
    for (const pid of [-2_147_483_647, 0]) {
      await writeFile(`${file}.lock`, JSON.stringify(lockOf(file, { id: 'odd-pid', pid })));
      const error = await new FileLocker(file).acquire('apply').catch((e: unknown) => e);
      expect(error, String(pid)).toBeInstanceOf(LockedError);
      expect((await readJson(`${file}.lock`)).id).toBe('odd-pid');
    }
  });

  it('lets exactly one of many concurrent acquirers win a free lock', async () => {
    const file = await stateFile();
    const lockers = Array.from({ length: 8 }, () => new FileLocker(file, { pollMs: 10 }));
    const results = await Promise.allSettled(lockers.map((l) => l.acquire('apply', { timeoutMs: 0 })));
    const won = results.filter((r): r is PromiseFulfilledResult<LockHandle> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockedError);
    expect((await readJson(`${file}.lock`)).id).toBe(won[0].value.info.id);
    await won[0].value.release();
  });

  it('lets exactly one of many concurrent takers take over an expired lock', async () => {
    for (let round = 0; round < 5; round++) {
      // Given an expired lock (a CI job killed on another runner)
      const file = await stateFile();
      await writeFile(`${file}.lock`, JSON.stringify(lockOf(file, { id: 'expired', host: 'gone', expires: new Date(Date.now() - 1000).toISOString() })));
      // When eight runs try to take it over at the same moment
      const takeovers: string[] = [];
      const results = await Promise.allSettled(Array.from({ length: 8 }, () =>
        new FileLocker(file, { pollMs: 10 }).acquire('apply', { timeoutMs: 0, onTakeover: (o) => takeovers.push(o.id) })));
      // Then one took it over, once, and the file holds that winner's lock
      const won = results.filter((r): r is PromiseFulfilledResult<LockHandle> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(takeovers).toEqual(['expired']);
      expect((await readJson(`${file}.lock`)).id).toBe(won[0].value.info.id);
      await won[0].value.release();
    }
  });

  it('renews its lease while held, and a release during a renewal leaves no lock behind', async () => {
    const file = await stateFile();
    const handle = await new FileLocker(file, { leaseMs: 90 }).acquire('apply');
    const before = (await readJson(`${file}.lock`)).expires;
    await sleep(150);
    const after = (await readJson(`${file}.lock`)).expires;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    await handle.release();
    await sleep(100);
    expect(await readdir(path.dirname(file))).toEqual([]);
  });

  it('stops renewing once its lock was force-unlocked, so it never overwrites the next holder', async () => {
    const file = await stateFile();
    const first = await new FileLocker(file, { leaseMs: 60 }).acquire('apply');
    await new FileLocker(file).forceUnlock(first.info.id);
    const second = await new FileLocker(file).acquire('apply');
    await sleep(120);
    expect((await readJson(`${file}.lock`)).id).toBe(second.info.id);
    await first.release();
    expect((await readJson(`${file}.lock`)).id).toBe(second.info.id);
    await second.release();
  });

  it('stamps the lease when the lock is taken, not when waiting began', async () => {
    const file = await stateFile();
    const held = await new FileLocker(file).acquire('apply');
    setTimeout(() => void held.release(), 300);
    const next = await new FileLocker(file, { leaseMs: 200, pollMs: 20 }).acquire('apply', { timeoutMs: 2000 });
    expect(Date.parse(next.info.expires)).toBeGreaterThan(Date.now() + 100);
    await next.release();
  });
});

describe('FileStateStore edges (issue 20)', () => {
  it('a state path that cannot be read (a directory) is an error naming it and the errno, never a replacement', async () => {
    const file = await stateFile();
    await mkdir(file);
    const error = (await new FileStateStore(file).read().catch((e: unknown) => e)) as StateError;
    expect(error).toBeInstanceOf(StateError);
    expect(error.message).toBe(`State file ${file} cannot be read: EISDIR.`);
    expect(error.nextSteps).toBe('Check the path (state.path) and its permissions; mirror will not replace it.');
    expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe('EISDIR');
    await expect(new FileStateStore(file).write(newState())).rejects.toBeInstanceOf(StateError);
  });

  it('a corrupt file without a backup names where the backup would be', async () => {
    const file = await stateFile();
    await writeFile(file, '{');
    await expect(new FileStateStore(file).read()).rejects.toThrow(new RegExp(`is corrupt: .* and there is no backup \\(${file}\\.backup\\)\\.$`));
  });

  it('writes through a dangling symlink (state.json -> a file not yet written): the target is created, the link stays', async () => {
    const dir = path.dirname(await stateFile());
    const link = path.join(dir, 'state.json');
    await symlink('real-state.json', link);
    const written = await new FileStateStore(link).write(newState());
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, 'real-state.json'), 'utf8')).lineage).toBe(written.lineage);
  });

  it('an atomic write that cannot land (the target is a directory) fails and leaves no temp file', async () => {
    const dir = path.dirname(await stateFile());
    const target = path.join(dir, 'taken');
    await mkdir(path.join(target, 'inside'), { recursive: true });
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['taken']);
  });
});
