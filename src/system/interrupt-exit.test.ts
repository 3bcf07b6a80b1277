/**
 * The interrupt path of every command but apply, in a real process (it ends in process.exit): the
 * registered lock release is awaited and the last line says whether it happened; a release that
 * hangs does not hold the exit past its limit, and is not reported as done.
 */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const MODULE = path.resolve(import.meta.dirname, '../../dist/system/interrupt-exit.js');

/** A process that registers `task` (JS source of an async function), then signals itself. */
function interrupted(task: string) {
  const script = `
    const { exitOnInterrupt, onInterruptExit, NOTHING_HELD } = await import(${JSON.stringify(MODULE)});
    exitOnInterrupt();
    onInterruptExit(${task});
    setInterval(() => {}, 1000); // a command still working
    process.kill(process.pid, 'SIGINT');`;
  return execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, timeout: 20_000 });
}

describe('exitOnInterrupt', () => {
  it('waits for the lock release, says it happened, exits 130', async () => {
    const r = await interrupted(`async () => { await new Promise((res) => setTimeout(res, 300)); process.stdout.write('released\\n'); }`);
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toBe('released');
    expect(r.stderr.trim()).toBe('Interrupted: the state lock is released.');
  });

  it('stopped before the lock was taken (NOTHING_HELD): says nothing about a lock, exits 130', async () => {
    const r = await interrupted(`async () => NOTHING_HELD`);
    expect(r.exitCode).toBe(130);
    expect(r.stderr.trim()).toBe('Interrupted.');
  });

  it('a release that fails or hangs is reported as not done, and the exit still comes within its limit', async () => {
    const failed = await interrupted(`async () => { throw new Error('registry down'); }`);
    expect(failed.exitCode).toBe(130);
    expect(failed.stderr).toContain('Interrupted: the state lock could not be released');
    const started = Date.now();
    const hung = await interrupted(`() => new Promise(() => {})`);
    expect(hung.exitCode).toBe(130);
    expect(hung.stderr).toContain('the state lock could not be released (the next run takes it over when its lease ends, or run mirror force-unlock)');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
