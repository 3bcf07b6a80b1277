import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { StateError } from '../errors.js';
import { FileStateStore } from './file-store.js';
import { FileLocker, parseDuration } from './lock.js';
import { newState } from './new-state.js';

async function stateFile() {
  return path.join(await mkdtemp(path.join(tmpdir(), 'mirror-fs-')), 'state.json');
}

describe('FileStateStore', () => {
  it('refuses a corrupt file, naming it and the backup, and never overwrites it', async () => {
    // Given a state written twice (so a backup exists), then corrupted
    const file = await stateFile();
    const store = new FileStateStore(file);
    const first = await store.write(newState());
    await store.write(first);
    await writeFile(file, '{"formatVersion": 1, "lineage": ');
    // When it is read or written
    const error = await store.read().catch((e) => e);
    // Then the error names the file and the backup, and the bytes are untouched by a write attempt
    expect(error).toBeInstanceOf(StateError);
    expect(error.message).toContain(`State file ${file} is corrupt`);
    expect(error.nextSteps).toContain(`${file}.backup`);
    await expect(store.write(first)).rejects.toBeInstanceOf(StateError);
    expect(await readFile(file, 'utf8')).toBe('{"formatVersion": 1, "lineage": ');
    expect(JSON.parse(await readFile(`${file}.backup`, 'utf8')).serial).toBe(1);
  });

  it('names the first wrong field of a file that parses but is not state', async () => {
    const file = await stateFile();
    await writeFile(file, JSON.stringify({ ...newState(), serial: 'seven' }));
    await expect(new FileStateStore(file).read()).rejects.toThrow(/is corrupt: serial: /);
  });

  it('ignores temp files left by a killed writer', async () => {
    const file = await stateFile();
    const store = new FileStateStore(file);
    const written = await store.write(newState());
    await writeFile(`${file}.tmp-999-abcd`, '{"half":');
    expect(await store.read()).toEqual(written);
  });
});

describe('FileLocker', () => {
  it('takes over a lock whose holder on this host is dead, reporting the holder', async () => {
    // Given a lock file written for a process that has exited
    const file = await stateFile();
    const child = await execa(process.execPath, ['-e', 'console.log(process.pid)']);
    const deadPid = Number(child.stdout);
    const locker = new FileLocker(file);
    const held = await locker.acquire('apply');
    await held.release();
    const lockInfo = { ...held.info, id: 'dead-holder', pid: deadPid };
    await writeFile(`${file}.lock`, JSON.stringify(lockInfo));
    // When another run takes the lock
    const seen: string[] = [];
    const taken = await new FileLocker(file).acquire('apply', { onTakeover: (o) => seen.push(`${o.id}:${o.pid}`) });
    // Then it gets it at once and was told who held it
    expect(seen).toEqual([`dead-holder:${deadPid}`]);
    expect(JSON.parse(await readFile(`${file}.lock`, 'utf8')).id).toBe(taken.info.id);
    await taken.release();
  });

  it('renews its lease while held', async () => {
    const file = await stateFile();
    const handle = await new FileLocker(file, { leaseMs: 300 }).acquire('apply');
    const before = JSON.parse(await readFile(`${file}.lock`, 'utf8')).expires;
    await new Promise((r) => setTimeout(r, 250));
    const after = JSON.parse(await readFile(`${file}.lock`, 'utf8')).expires;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    await handle.release();
  });

  it('parses durations and refuses garbage', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });
});
