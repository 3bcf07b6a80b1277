/**
 * The state lock: a file beside the state, created exclusively, holding who has it and until
 * when. The lease is renewed while held, so a lock left by a killed CI job expires by itself;
 * on the same host a dead pid is proof enough to take it over at once.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import { AbortError } from '../errors.js';
import { writeFileAtomic } from './file-store.js';
import type { LockHandle, LockInfo, Locker } from './types.js';

/** The state is held by someone else and stayed so for the whole --lock-timeout. */
export class LockedError extends AbortError {
  readonly holder: LockInfo;
  constructor(file: string, holder: LockInfo) {
    super(
      `State ${file} is locked by ${holder.who} (pid ${holder.pid} on ${holder.host}, ${holder.operation}, since ${holder.created}, lock ID ${holder.id}).`,
      `Wait for it to finish, or if that process is gone: mirror force-unlock ${holder.id}`,
    );
    this.name = 'LockedError';
    this.holder = holder;
  }
}

/** `30s`, `2m`, `500ms`, `1h`, or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new AbortError(`"${text}" is not a duration.`, 'Use a number with a unit: 500ms, 30s, 2m, 1h.');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** Who is running: the CI run URL in GitHub Actions, else user@host. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  return `${os.userInfo().username}@${os.hostname()}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Options of a FileLocker. */
export interface FileLockerOptions {
  leaseMs?: number;
  pollMs?: number;
}

/** Lock file `<state>.lock` (SPEC §5). */
export class FileLocker implements Locker {
  readonly file: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(statePath: string, opts: FileLockerOptions = {}) {
    this.file = `${statePath}.lock`;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.pollMs = opts.pollMs ?? 200;
  }

  async current(): Promise<LockInfo | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as LockInfo;
    } catch {
      // Half-written by a process killed mid-create: held, but with an already-expired lease.
      return { id: 'unreadable', operation: 'unknown', who: 'unknown', host: 'unknown', pid: 0, created: new Date(0).toISOString(), expires: new Date(0).toISOString() };
    }
  }

  private stale(info: LockInfo): boolean {
    if (Date.parse(info.expires) < Date.now()) return true;
    return info.host === os.hostname() && info.pid > 0 && !pidAlive(info.pid);
  }

  private async tryCreate(info: LockInfo): Promise<boolean> {
    try {
      const handle = await open(this.file, 'wx', 0o644);
      try { await handle.writeFile(JSON.stringify(info, null, 2)); await handle.sync(); } finally { await handle.close(); }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async acquire(operation: string, opts: { timeoutMs?: number; onTakeover?: (old: LockInfo) => void } = {}): Promise<LockHandle> {
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    const now = () => new Date();
    const info: LockInfo = {
      id: randomUUID(), operation, who: whoAmI(), host: os.hostname(), pid: process.pid,
      created: now().toISOString(), expires: new Date(Date.now() + this.leaseMs).toISOString(),
    };
    for (;;) {
      if (await this.tryCreate(info)) return this.handle(info);
      const holder = await this.current();
      if (holder && this.stale(holder)) {
        // Rename first: of two processes taking over the same stale lock, only one rename succeeds.
        const grave = `${this.file}.stale-${randomUUID()}`;
        try {
          await rename(this.file, grave);
          await unlink(grave).catch(() => undefined);
          opts.onTakeover?.(holder);
        } catch { /* someone else took it over first */ }
        continue;
      }
      if (Date.now() >= deadline) throw new LockedError(this.file.replace(/\.lock$/, ''), holder ?? info);
      await sleep(this.pollMs);
    }
  }

  private handle(info: LockInfo): LockHandle {
    const renew = setInterval(() => {
      const renewed = { ...info, expires: new Date(Date.now() + this.leaseMs).toISOString() };
      void this.current().then((cur) => (cur?.id === info.id ? writeFileAtomic(this.file, JSON.stringify(renewed, null, 2)) : undefined)).catch(() => undefined);
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    return {
      info,
      release: async () => {
        clearInterval(renew);
        const cur = await this.current();
        if (cur?.id === info.id) await unlink(this.file).catch(() => undefined);
      },
    };
  }

  async forceUnlock(id: string): Promise<void> {
    const cur = await this.current();
    if (!cur) throw new AbortError(`State ${this.file.replace(/\.lock$/, '')} is not locked.`);
    if (cur.id !== id) throw new AbortError(`Lock ID ${id} does not match the lock held (${cur.id}, by ${cur.who}).`, `Run mirror force-unlock ${cur.id} if that holder is gone.`);
    await unlink(this.file);
  }
}
