/**
 * The state lock's rules, written once for every medium it lives in (a file beside the state, an
 * OCI artifact in a registry): a lease renewed while held, so a lock left by a killed job expires
 * by itself; takeover of a provably abandoned lock (lease run out, or a dead pid on this machine);
 * the wait with its messages; the handle; force-unlock. A medium (FileLocker, OciLocker) only says
 * how to read its lock record, how to try to take it, and how to rewrite and remove it.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { pidAlive } from '../system/pid.js';
import { AbortError } from '../errors.js';
import { whoAmI } from '../system/who-am-i.js';
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


/**
 * The pause between two looks at a held lock, cut short by `signal`: an interrupted apply waiting
 * for the lock stops waiting (and never takes the lock after it was told to stop).
 */
export function lockWait(ms: number, signal: AbortSignal | undefined, holder: LockInfo): Promise<void> {
  const stopped = () => new AbortError(`Stopped while waiting for the state lock held by ${holder.who} (pid ${holder.pid} on ${holder.host}).`, 'Nothing was changed.');
  if (signal?.aborted) return Promise.reject(stopped());
  return new Promise((resolve, reject) => {
    const onAbort = () => { clearTimeout(timer); reject(stopped()); };
    // Stryker disable next-line StringLiteral: the listener left behind would only reject an already settled promise
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: a signal aborts at most once, and onAbort clears the timer either way
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Lease timings of a locker. */
export interface LockTimings {
  /** How long a lock stays valid without renewal (default 60 s). */
  leaseMs?: number;
  /** How often a waiting acquire looks again (the medium's default: each look costs a read). */
  pollMs?: number;
  /** How often a held lock is renewed (default leaseMs/3); 0 never renews, i.e. a holder that hung. */
  renewMs?: number;
}

/** What one look at the lock found. `info` undefined: the lock is free (a released marker). */
export interface SeenLock {
  info?: LockInfo;
}

/** Who is taking the lock in one acquire: the same id, operation and holder name for every attempt. */
export interface Taking {
  id: string;
  operation: string;
  who: string;
  /** When the caller's --lock-timeout runs out. */
  deadline: number;
  onTakeover?: (old: LockInfo) => void;
}

/** A lock this process holds: its record and, for an OCI lock, the digest it last wrote (the manifest a renewal replaces and deletes). */
export interface Held {
  readonly info: LockInfo;
  written?: string;
}

/** One attempt to take the lock: taken; held by `holder` (wait, then look again); or look again at once. */
export type Attempt = { taken: Held } | { holder: LockInfo } | { again: true };

/** Look again at once (the lock was freed or taken over since the last look). */
export const AGAIN: Attempt = { again: true };

/** Acquire, renewal, release and force-unlock over a medium's read/take/rewrite/remove. */
export abstract class LockCore<S extends SeenLock> implements Locker {
  /** How long a lock stays valid without renewal. */
  protected readonly leaseMs: number;
  /** How often a waiting acquire looks again. */
  protected readonly pollMs: number;
  private readonly renewMs: number;
  /** Stops of the renewals running now. */
  private readonly renewals = new Set<() => void>();

  /**
   * `state` names the state in messages; `where` says where its lock would be (`not locked (no …)`);
   * `env` names the holder (whoAmI: the GitHub Actions run URL).
   */
  protected constructor(
    private readonly state: string,
    private readonly where: string,
    timings: LockTimings,
    defaultPollMs: number,
    private readonly env?: NodeJS.ProcessEnv,
  ) {
    this.leaseMs = timings.leaseMs ?? 60_000;
    this.pollMs = timings.pollMs ?? defaultPollMs;
    this.renewMs = timings.renewMs ?? Math.max(10, Math.floor(this.leaseMs / 3));
  }

  /** One look at the lock; undefined when there is none. */
  protected abstract read(): Promise<S | undefined>;
  /** The attempts of one acquire (each keeps what it needs between attempts). */
  protected abstract taker(taking: Taking): () => Promise<Attempt>;
  /** Whether `seen`'s holder ran on this machine, where its pid can be checked. */
  protected abstract onThisMachine(seen: S): boolean;
  /** Write the held lock again with `renewed` (a later expiry), unless it is no longer ours. */
  protected abstract rewrite(held: Held, renewed: LockInfo): Promise<void>;
  /** Remove the lock `seen` if it still holds exactly it; false when it changed since the look. */
  protected abstract remove(seen: S): Promise<boolean>;

  /** The holder, or undefined when the lock is free. */
  async current(): Promise<LockInfo | undefined> {
    return (await this.read())?.info;
  }

  /** Whether `seen` is provably abandoned: its lease ran out, or its pid is dead on this machine. */
  protected stale(seen: S): boolean {
    const { info } = seen;
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: unreachable; every caller passes a lock with a holder (a released marker never gets here)
    if (!info) return false;
    // Stryker disable next-line EqualityOperator: differs only in the millisecond the lease ends
    if (!(Date.parse(info.expires) >= Date.now())) return true; // expired, or an unparsable date
    // Stryker disable next-line EqualityOperator: pid 0 probes our own process group, which always exists, so it never reads as dead either
    return this.onThisMachine(seen) && info.pid > 0 && !pidAlive(info.pid);
  }

  /** Take the lock, waiting up to timeoutMs; provably abandoned locks are taken over (see Locker). */
  async acquire(operation: string, opts: { timeoutMs?: number; onTakeover?: (old: LockInfo) => void; onWait?: (holder: LockInfo) => void; signal?: AbortSignal } = {}): Promise<LockHandle> {
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    const attempt = this.taker({ id: randomUUID(), operation, who: whoAmI(this.env), deadline, onTakeover: opts.onTakeover });
    let waiting = false;
    for (;;) {
      const result = await attempt();
      if ('taken' in result) return this.handle(result.taken);
      if ('again' in result) continue;
      const left = deadline - Date.now();
      // Stryker disable next-line EqualityOperator: at exactly 0 ms left the mutant waits 0 ms and throws on the next look
      if (left <= 0) throw new LockedError(this.state, result.holder);
      // Once: a run that sits silent for --lock-timeout looks hung.
      if (!waiting) { waiting = true; opts.onWait?.(result.holder); }
      await lockWait(Math.min(this.pollMs, left), opts.signal, result.holder);
    }
  }

  private handle(held: Held): LockHandle {
    const { info } = held;
    let stopped = false;
    let inflight: Promise<void> = Promise.resolve();
    const stop = () => {
      stopped = true;
      clearInterval(timer);
      this.renewals.delete(stop);
    };
    const renew = async () => {
      const seen = await this.read();
      if (stopped) return;
      // Force-unlocked or taken over after our lease lapsed: never write a lock we no longer own.
      if (seen?.info?.id !== info.id) return stop();
      await this.rewrite(held, { ...info, expires: new Date(Date.now() + this.leaseMs).toISOString() });
    };
    const timer = setInterval(() => {
      // Stryker disable next-line ConditionalExpression: stop() clears this interval in the same tick it sets stopped
      if (!stopped) inflight = inflight.then(renew).catch(() => undefined);
    }, this.renewMs > 0 ? this.renewMs : 2 ** 31 - 1);
    timer.unref();
    this.renewals.add(stop);
    return {
      info,
      release: async () => {
        stop();
        await inflight; // a renewal in flight would otherwise rewrite the lock after we remove it
        const seen = await this.read();
        if (seen?.info?.id === info.id) await this.remove(seen);
      },
    };
  }

  /** Remove the lock if its id is `id` (`mirror force-unlock`); otherwise say which id is held. */
  async forceUnlock(id: string): Promise<void> {
    const seen = await this.read();
    if (!seen?.info) throw new AbortError(`State ${this.state} is not locked (no ${this.where}).`, 'Nothing to unlock.');
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

  /** Stop renewing every lock this locker holds (its medium is closing; leases then run out). */
  protected stopRenewals(): void {
    for (const stop of [...this.renewals]) stop();
  }
}
