/**
 * The state lock: a file beside the state, created exclusively, holding who has it and until
 * when. The lease is renewed while held, so a lock left by a killed CI job expires by itself;
 * on the same host a dead pid is proof enough to take it over at once.
 */
import { randomUUID } from 'node:crypto';
import { link, lstat, mkdir, open, readFile, readlink, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from '../errors.js';
import { whoAmI } from '../system/who-am-i.js';
import { writeFileAtomic } from './file-store.js';
import type { LockHandle, LockInfo, Locker } from './types.js';

/** The state is held by someone else and stayed so for the whole --lock-timeout. */
export class LockedError extends AbortError {
  /** Who holds the lock, as read from it. */
  readonly holder: LockInfo;
  constructor(state: string, holder: LockInfo) {
    super(
      `State ${state} is locked by ${holder.who} (pid ${holder.pid} on ${holder.host}, ${holder.operation}, since ${holder.created}, lock ID ${holder.id}).`,
      `Wait for it to finish and run again (or raise --lock-timeout); if that process is gone for good: mirror force-unlock ${holder.id}`,
    );
    this.name = 'LockedError';
    this.holder = holder;
  }
}

/** The lock record of this process, its lease running leaseMs from `now`. */
export function holderInfo(id: string, operation: string, who: string, leaseMs: number, now = Date.now()): LockInfo {
  return {
    id, operation, who, host: os.hostname(), pid: process.pid,
    created: new Date(now).toISOString(), expires: new Date(now + leaseMs).toISOString(),
  };
}

/**
 * Stand-in holder of a lock whose content cannot be read: held for one lease from `since`, then
 * stale like any abandoned lock (it may be a lock being written right now, or a crash's leftover).
 */
export function unreadableHolder(what: string, since: number, leaseMs: number): LockInfo {
  return {
    id: 'unreadable', operation: 'unknown', who: `an unreadable lock ${what}`, host: 'unknown', pid: 0,
    created: new Date(since).toISOString(), expires: new Date(since + leaseMs).toISOString(),
  };
}

/** Whether a process with this pid exists on this machine (EPERM counts as alive). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH proves it is gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}


/**
 * The pause between two looks at a held lock, cut short by `signal`: an interrupted apply waiting
 * for the lock stops waiting (and never takes the lock after it was told to stop).
 */
export function lockWait(ms: number, signal: AbortSignal | undefined, holder: LockInfo): Promise<void> {
  const stopped = () => new AbortError(`Stopped while waiting for the state lock held by ${holder.who} (pid ${holder.pid} on ${holder.host}).`, 'Nothing was changed.');
  if (signal?.aborted) return Promise.reject(stopped());
  return new Promise((resolve, reject) => {
    const onAbort = () => { clearTimeout(timer); reject(stopped()); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Options of a FileLocker. */
export interface FileLockerOptions {
  /** How long a lock stays valid without renewal (default 60 s). */
  leaseMs?: number;
  /** How often a waiting acquire looks again (default 200 ms). */
  pollMs?: number;
  /** How often a held lock is renewed (default leaseMs/3); 0 never renews, i.e. a holder that hung. */
  renewMs?: number;
}

interface SeenLock {
  info: LockInfo;
  raw: string;
}

/** Lock file `<state>.lock` (SPEC §5). */
export class FileLocker implements Locker {
  /** Path of the lock file. */
  readonly file: string;
  private readonly state: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly renewMs: number;

  constructor(statePath: string, opts: FileLockerOptions = {}) {
    this.state = statePath;
    this.file = `${statePath}.lock`;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.pollMs = opts.pollMs ?? 200;
    this.renewMs = opts.renewMs ?? Math.max(10, Math.floor(this.leaseMs / 3));
  }

  /** The holder as written in the lock file, or undefined when unlocked. */
  async current(): Promise<LockInfo | undefined> {
    return (await this.read())?.info;
  }

  private async read(): Promise<SeenLock | undefined> {
    let raw: string;
    let mtimeMs: number;
    try {
      // mirror never makes the lock a symlink. A dangling one made exclusive create fail (EEXIST)
      // while reading found nothing (ENOENT), and acquire spun at full CPU forever.
      const link = await lstat(this.file);
      if (link.isSymbolicLink()) {
        throw new AbortError(`Lock file ${this.file} is a symlink (to ${await readlink(this.file).catch(() => '?')}); mirror never makes one and will not lock through it.`,
          `Remove it if no mirror is running on this state: rm ${this.file}`);
      }
      [raw, mtimeMs] = await Promise.all([readFile(this.file, 'utf8'), stat(this.file).then((s) => s.mtimeMs)]);
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const info = JSON.parse(raw) as LockInfo;
      if (typeof info?.id === 'string' && typeof info.expires === 'string') return { info, raw };
    } catch { /* fall through */ }
    // Not JSON: maybe being written right now (open 'wx' then write), maybe left by a crash.
    // Held for one lease from its mtime, then stale like any other abandoned lock.
    return { raw, info: unreadableHolder(`file ${this.file}`, mtimeMs, this.leaseMs) };
  }

  private stale(info: LockInfo): boolean {
    if (!(Date.parse(info.expires) >= Date.now())) return true; // expired, or an unparsable date
    return info.host === os.hostname() && info.pid > 0 && !pidAlive(info.pid);
  }

  private async tryCreate(info: LockInfo): Promise<boolean> {
    let handle;
    try {
      handle = await open(this.file, 'wx', 0o644);
    } catch (error) {
      if (code(error) === 'EEXIST') return false;
      if (code(error) !== 'ENOENT') throw error;
      // The first apply locks before the state (and its directory) exists.
      await mkdir(path.dirname(this.file), { recursive: true });
      return this.tryCreate(info);
    }
    try { await handle.writeFile(JSON.stringify(info, null, 2)); await handle.sync(); } finally { await handle.close(); }
    return true;
  }

  /**
   * Remove the lock `seen` if the file still holds exactly it. Rename is atomic, so of several
   * takers only one moves the file; whoever moved something else (a lock created or renewed
   * since it looked) puts it back with link(), which never clobbers a newer lock.
   */
  private async remove(seen: SeenLock): Promise<boolean> {
    const grave = `${this.file}.stale-${randomUUID()}`;
    try {
      await rename(this.file, grave);
    } catch (error) {
      if (code(error) === 'ENOENT') return false;
      throw error;
    }
    const moved = await readFile(grave, 'utf8').catch(() => undefined);
    if (moved === seen.raw) {
      await unlink(grave).catch(() => undefined);
      return true;
    }
    try {
      await link(grave, this.file);
    } catch (error) {
      // EEXIST: a newer lock is already there. Anything else: no hard links here, move it back.
      if (code(error) !== 'EEXIST') await rename(grave, this.file).catch(() => undefined);
    }
    await unlink(grave).catch(() => undefined);
    return false;
  }

  /** Take the lock, waiting up to timeoutMs; provably abandoned locks are taken over (see Locker). */
  async acquire(operation: string, opts: { timeoutMs?: number; onTakeover?: (old: LockInfo) => void; signal?: AbortSignal } = {}): Promise<LockHandle> {
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    const id = randomUUID();
    const who = whoAmI();
    let vanished = 0;
    for (;;) {
      // Timestamps at creation, not at the first attempt: a long wait must not yield a lock born expired.
      const info = holderInfo(id, operation, who, this.leaseMs);
      if (await this.tryCreate(info)) return this.handle(info);
      const seen = await this.read();
      if (!seen) {
        // Released between our attempt and our look: try again at once, but a file that keeps
        // refusing creation while never being readable must not turn this into a busy loop.
        if (++vanished <= 3) continue;
        if (Date.now() >= deadline) throw new AbortError(`Cannot take the lock ${this.file}: it cannot be created, yet there is no lock file to read.`, `Check ${path.dirname(this.file)} (permissions, a broken link), then run again.`);
        await sleep(Math.min(this.pollMs, Math.max(1, deadline - Date.now())));
        continue;
      }
      vanished = 0;
      if (this.stale(seen.info) && (await this.remove(seen))) {
        opts.onTakeover?.(seen.info);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new LockedError(this.state, seen.info);
      await lockWait(Math.min(this.pollMs, left), opts.signal, seen.info);
    }
  }

  private handle(info: LockInfo): LockHandle {
    let stopped = false;
    let inflight: Promise<void> = Promise.resolve();
    const renew = async () => {
      const seen = await this.read();
      if (stopped) return;
      if (seen?.info.id !== info.id) {
        // Force-unlocked or taken over after our lease lapsed: never write a lock we no longer own.
        stopped = true;
        clearInterval(timer);
        return;
      }
      await writeFileAtomic(this.file, JSON.stringify({ ...info, expires: new Date(Date.now() + this.leaseMs).toISOString() }, null, 2));
    };
    const timer = setInterval(() => {
      if (!stopped) inflight = inflight.then(renew).catch(() => undefined);
    }, this.renewMs > 0 ? this.renewMs : 2 ** 31 - 1);
    timer.unref();
    return {
      info,
      release: async () => {
        stopped = true;
        clearInterval(timer);
        await inflight; // a renewal in flight would otherwise recreate the file after we unlink it
        const seen = await this.read();
        if (seen?.info.id === info.id) await this.remove(seen);
      },
    };
  }

  /** Remove the lock if its id is `id` (`mirror force-unlock`); otherwise say which id is held. */
  async forceUnlock(id: string): Promise<void> {
    const seen = await this.read();
    if (!seen) throw new AbortError(`State ${this.state} is not locked (no ${this.file}).`, 'Nothing to unlock.');
    if (seen.info.id !== id) {
      throw new AbortError(
        `Lock ID ${id} does not match the lock held on ${this.state} (lock ID ${seen.info.id}, by ${seen.info.who}).`,
        `Check that holder is gone, then run: mirror force-unlock ${seen.info.id}`,
      );
    }
    if (!(await this.remove(seen))) {
      throw new AbortError(`The lock on ${this.state} changed while unlocking it.`, 'Run `mirror force-unlock` again with the ID it reports.');
    }
  }
}
