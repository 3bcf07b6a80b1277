/** In-memory StateStore + Locker: the fake for planner unit tests; passes the same conformance suite. */
import { randomUUID } from 'node:crypto';
import { AbortError } from '../../src/errors.js';
import { holderInfo, LockedError, lockWait } from '../../src/state/lock-core.js';
import { StateSchema, type LockHandle, type LockInfo, type Locker, type State, type StateStore, type WriteOptions } from '../../src/state/types.js';
import { assertInScope, assertSuccessor, successorOf } from '../../src/state/write-guard.js';

/** State kept in memory, as JSON text so callers can never alias what is stored. */
export class MemoryStateStore implements StateStore {
  /** Shown in messages. */
  readonly location = 'memory';
  private stored?: string;

  /** Optionally seeded with a state (stored as given, serial untouched), like a file already on disk. */
  constructor(initial?: State) {
    if (initial) this.stored = JSON.stringify(StateSchema.parse(initial));
  }

  /** The stored state, undefined before the first write. */
  async read(): Promise<State | undefined> {
    return this.stored === undefined ? undefined : StateSchema.parse(JSON.parse(this.stored));
  }

  /** Store state at serial+1 through the same write guard as the real stores. */
  async write(state: State, opts: WriteOptions = {}): Promise<State> {
    const next = successorOf(state, this.location);
    const current = await this.read();
    assertInScope(current, next, opts.scope, { noun: 'State', location: this.location });
    if (current) assertSuccessor(current, state, { noun: 'State', location: this.location });
    this.stored = JSON.stringify(next);
    return JSON.parse(this.stored) as State;
  }

  /** Replace whatever is stored. */
  async replace(state: State): Promise<State> {
    this.stored = JSON.stringify(StateSchema.parse(state));
    return JSON.parse(this.stored) as State;
  }
}

/** Shared storage of MemoryLockers: lockers built on one cell see each other's locks. */
export interface MemoryLockCell {
  held?: LockInfo;
}

/** A lock kept in memory, with FileLocker's lease semantics (no renewal: the fake's holders never hang). */
export class MemoryLocker implements Locker {
  constructor(
    private readonly cell: MemoryLockCell = {},
    private readonly opts: { leaseMs?: number; pollMs?: number; who?: string } = {},
  ) {}

  /** The current holder, if any. */
  async current(): Promise<LockInfo | undefined> {
    return this.cell.held && { ...this.cell.held };
  }

  /** Take the lock, waiting up to timeoutMs; an expired lease is taken over. */
  async acquire(operation: string, opts: { timeoutMs?: number; onTakeover?: (old: LockInfo) => void; onWait?: (holder: LockInfo) => void; signal?: AbortSignal } = {}): Promise<LockHandle> {
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    const leaseMs = this.opts.leaseMs ?? 60_000;
    let waiting = false;
    for (;;) {
      const held = this.cell.held;
      if (held && Date.parse(held.expires) < Date.now()) {
        this.cell.held = undefined;
        opts.onTakeover?.(held);
      }
      if (!this.cell.held) {
        const info = holderInfo(randomUUID(), operation, this.opts.who ?? 'test@memory', leaseMs);
        this.cell.held = info;
        return { info, release: async () => { if (this.cell.held?.id === info.id) this.cell.held = undefined; } };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new LockedError('memory', this.cell.held);
      if (!waiting) { waiting = true; opts.onWait?.(this.cell.held); }
      await lockWait(Math.min(this.opts.pollMs ?? 20, left), opts.signal, this.cell.held);
    }
  }

  /** Remove the lock if its id is `id`. */
  async forceUnlock(id: string): Promise<void> {
    const held = this.cell.held;
    if (!held) throw new AbortError('State memory is not locked.', 'Nothing to unlock.');
    if (held.id !== id) {
      throw new AbortError(`Lock ID ${id} does not match the lock held on memory (lock ID ${held.id}, by ${held.who}).`,
        `Run mirror force-unlock ${held.id} if that holder is gone.`);
    }
    this.cell.held = undefined;
  }
}
