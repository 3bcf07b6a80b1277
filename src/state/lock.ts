/**
 * The state lock as a file beside the state, created exclusively, holding who has it and until
 * when. The lease, takeover, wait and force-unlock rules are LockCore's; this file says how a
 * lock file is read, created, rewritten and removed.
 */
import { randomUUID } from 'node:crypto';
import { link, lstat, mkdir, open, readFile, readlink, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from '../errors.js';
import { AGAIN, holderInfo, LockCore, unreadableHolder, type Attempt, type Held, type LockTimings, type Taking } from './lock-core.js';
import type { LockInfo } from './types.js';

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The lock file's text for a holder. */
const lockText = (info: LockInfo) => JSON.stringify(info, null, 2);

/** The id field of the lock record `text` (compared with our string id: anything else is not ours), or undefined when it does not parse. */
function lockIdOf(text: string): unknown {
  try {
    // JSON `null` throws here like a half-written file: neither is our lock.
    return (JSON.parse(text) as { id?: unknown }).id;
    // Stryker disable next-line BlockStatement: an empty catch also gives undefined, which is not our id either
  } catch {
    return undefined;
  }
}

/** Options of a FileLocker (pollMs default 200 ms). */
export type FileLockerOptions = LockTimings;

/** The lock file as read: its holder and its exact text (what remove() compares). */
interface SeenFile {
  info: LockInfo;
  raw: string;
}

/** Lock file `<state>.lock` (SPEC §5). */
export class FileLocker extends LockCore<SeenFile> {
  /** Path of the lock file. */
  readonly file: string;

  constructor(statePath: string, opts: FileLockerOptions = {}) {
    super(statePath, `${statePath}.lock`, opts, 200);
    this.file = `${statePath}.lock`;
  }

  /** The lock file, or undefined when there is none; a symlink is refused. */
  protected async read(): Promise<SeenFile | undefined> {
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
      // Stryker disable next-line OptionalChaining: `null.id` throws into the same catch, so JSON null is unreadable either way
      if (typeof info?.id === 'string' && typeof info.expires === 'string') return { info, raw };
    } catch { /* fall through */ }
    // Not JSON: maybe being written right now (open 'wx' then write), maybe left by a crash.
    // Held for one lease from its mtime, then stale like any other abandoned lock.
    return { raw, info: unreadableHolder(`file ${this.file}`, mtimeMs, this.leaseMs) };
  }

  /** A pid is checkable where the lock names this host. */
  protected onThisMachine(seen: SeenFile): boolean {
    return seen.info.host === os.hostname();
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
    try {
      try { await handle.writeFile(lockText(info)); await handle.sync(); } finally { await handle.close(); }
    } catch (error) {
      // A full disk: an empty lock file would block every command for a lease. It is ours: remove it.
      await unlink(this.file).catch(() => undefined);
      throw error;
    }
    return true;
  }

  /**
   * Remove the lock `seen` if the file still holds exactly it. Rename is atomic, so of several
   * takers only one moves the file; whoever moved something else (a lock created or renewed
   * since it looked) puts it back with link(), which never clobbers a newer lock.
   */
  protected async remove(seen: SeenFile): Promise<boolean> {
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

  /** Create the file exclusively; else take over a provably abandoned lock, or wait for its holder. */
  protected taker(t: Taking): () => Promise<Attempt> {
    let vanished = 0;
    return async () => {
      // Timestamps at creation, not at the first attempt: a long wait must not yield a lock born expired.
      const info = holderInfo(t.id, t.operation, t.who, this.leaseMs);
      if (await this.tryCreate(info)) return { taken: { info } };
      const seen = await this.read();
      if (!seen) {
        // Released between our attempt and our look: try again at once, but a file that keeps
        // refusing creation while never being readable must not turn this into a busy loop.
        if (++vanished <= 3) return AGAIN;
        if (Date.now() >= t.deadline) throw new AbortError(`Cannot take the lock ${this.file}: it cannot be created, yet there is no lock file to read.`, `Check ${path.dirname(this.file)} (permissions, a broken link), then run again.`);
        await sleep(Math.min(this.pollMs, Math.max(1, t.deadline - Date.now())));
        return AGAIN;
      }
      vanished = 0;
      if (this.stale(seen) && (await this.remove(seen))) {
        t.onTakeover?.(seen.info);
        return AGAIN;
      }
      return { holder: seen.info };
    };
  }

  /**
   * Renewal rewrites the lock file in place, through a handle opened on it and checked to still
   * hold exactly what we last wrote. A renewal's look and its write are two steps: a force-unlock,
   * or a takeover after a stall, may land between them. The lock found then is another file (or
   * none: open fails), which this never touches; writing a new file and renaming it over the path,
   * as renewal once did, replaced whatever lock was there, so two runs held the state at once.
   * The file is ours when it holds our lock id: not when it holds exactly what we last wrote,
   * since a renewal whose write landed but whose sync failed would then stop every later renewal
   * and let the lease run out mid-apply. Only the expiry changes, so the record keeps its length.
   */
  protected async rewrite(held: Held, renewed: LockInfo): Promise<void> {
    const handle = await open(this.file, 'r+');
    try {
      // Someone else's lock (or one being written): the renewal's next look stops it.
      if (lockIdOf(await handle.readFile('utf8')) !== held.info.id) return;
      const bytes = Buffer.from(lockText(renewed));
      await handle.write(bytes, 0, bytes.length, 0);
      await handle.truncate(bytes.length);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
