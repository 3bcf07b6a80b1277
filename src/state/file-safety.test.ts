/**
 * The state file and its lock as hostile filesystems leave them: a dangling symlink as the lock,
 * a private (0600) state, a symlinked state.json, corrupt bytes that may hold a secret.
 */
import { chmod, lstat, mkdtemp, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlanFile } from '../plan/planfile.js';
import { FileStateStore } from './file-store.js';
import { parseFragment } from './fragment.js';
import { FileLocker } from './lock.js';
import { newState } from './new-state.js';

const dirOf = () => mkdtemp(path.join(tmpdir(), 'mirror-safety-'));
const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('lock file safety', () => {
  it('a dangling symlink as the lock file is an error naming it, within the lock timeout, not a spin', async () => {
    // Given a lock path that is a symlink to nothing
    const file = path.join(await dirOf(), 'state.json');
    await symlink('/nonexistent/mirror-lock-target', `${file}.lock`);
    // When a command takes the lock with a 2 s timeout
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const error = await new FileLocker(file, { pollMs: 20 }).acquire('apply', { timeoutMs: 2000 }).catch((e: Error) => e);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Then it fails at once (well within its timeout), naming the link and what to do
    expect((error as Error).message).toBe(`Lock file ${file}.lock is a symlink (to /nonexistent/mirror-lock-target); mirror never makes one and will not lock through it.`);
    expect((error as { nextSteps?: string }).nextSteps).toBe(`Remove it if no mirror is running on this state: rm ${file}.lock`);
    expect(ms).toBeLessThan(2000);
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });
});

describe('state file safety', () => {
  it('keeps a 0600 state (and its backup) 0600, and makes new state files 0600', async () => {
    const dir = await dirOf();
    const file = path.join(dir, 'state.json');
    const store = new FileStateStore(file);
    const first = await store.write(newState());
    expect(await modeOf(file)).toBe(0o600);
    await chmod(file, 0o640);
    const second = await store.write(first);
    expect(await modeOf(file)).toBe(0o640);
    expect(await modeOf(store.backupPath)).toBe(0o640);
    await chmod(file, 0o600);
    await store.write(second);
    expect(await modeOf(file)).toBe(0o600);
    expect(await modeOf(store.backupPath)).toBe(0o600);
  });

  it('writes a symlinked state.json through to its target: the link stays, the state is never split', async () => {
    // Given state.json -> shared/real-state.json
    const dir = await dirOf();
    const real = path.join(dir, 'shared', 'real-state.json');
    const store0 = new FileStateStore(real);
    const first = await store0.write(newState());
    const link = path.join(dir, 'state.json');
    await symlink(path.join('shared', 'real-state.json'), link);
    // When the state is written through the link
    const store = new FileStateStore(link);
    const next = await store.write((await store.read())!);
    // Then the link is still a link, and its target holds the new serial
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(path.join('shared', 'real-state.json'));
    expect(JSON.parse(await readFile(real, 'utf8')).serial).toBe(next.serial);
    expect(next.serial).toBe(first.serial + 1);
    expect((await store.read())?.serial).toBe(next.serial);
  });

  it('never quotes the bytes of a corrupt state, fragment or plan file in its error', async () => {
    const dir = await dirOf();
    const secret = 'ghp_SECRETSECRETSECRET';
    const file = path.join(dir, 'state.json');
    await writeFile(file, `{"formatVersion": 2, "token": ${secret} }`);
    const stateError = await new FileStateStore(file).read().catch((e: Error) => e);
    expect((stateError as Error).message).toMatch(/is corrupt: not valid JSON \(unexpected text/);
    expect((stateError as Error).message).not.toContain('ghp_');
    expect(() => parseFragment(`{"x": ${secret}`, 'f.json')).toThrow(/^Fragment f\.json is not valid JSON \(/);
    expect(() => parseFragment(`{"x": ${secret}`, 'f.json')).not.toThrow(/ghp_/);
    const plan = path.join(dir, 'plan.json');
    await writeFile(plan, `{"formatVersion": 1, "t": "${secret}`);
    const planError = await readPlanFile(plan).catch((e: Error) => e);
    expect((planError as Error).message).toBe(`Plan file ${plan} cannot be read: not valid JSON (ends early: truncated?).`);
  });
});
