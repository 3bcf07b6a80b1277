/** In-memory StateStore + Locker: the fake for planner unit tests; passes the same conformance suite. */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { StateError } from '../errors.js';
import { LockedError } from './lock.js';
import { StateSchema, type LockHandle, type LockInfo, type Locker, type State, type StateStore } from './types.js';

/** State kept in memory. */
export class MemoryStateStore implements StateStore {
  readonly location = 'memory';
  private stored?: string;

  async read(): Promise<State | undefined> {
    return this.stored ? StateSchema.parse(JSON.parse(this.stored)) : undefined;
  }

  async write(state: State): Promise<State> {
    const current = await this.read();
    if (current && current.lineage !== state.lineage) throw new StateError('state belongs to another lineage');
    if (current && current.serial !== state.serial) throw new StateError(`state changed (serial ${state.serial} → ${current.serial})`);
    const next = StateSchema.parse({ ...state, serial: state.serial + 1 });
    this.stored = JSON.stringify(next);
    return next;
  }
}

/** A lock kept in memory, with the same lease semantics as FileLocker. */
export class MemoryLocker implements Locker {
  /** Lockers sharing a cell see each other's locks (two processes, one storage). */
  constructor(private readonly cell: { held?: LockInfo } = {}, private readonly leaseMs = 60_000, private readonly pollMs = 20) {}
  private get held(): LockInfo | undefined { return this.cell.held; }
  private set held(v: LockInfo | undefined) { this.cell.held = v; }

  async current(): Promise<LockInfo | undefined> {
    return this.held;
  }

  async acquire(operation: string, opts: { timeoutMs?: number; onTakeover?: (old: LockInfo) => void } = {}): Promise<LockHandle> {
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    for (;;) {
      if (this.held && Date.parse(this.held.expires) < Date.now()) {
        opts.onTakeover?.(this.held);
        this.held = undefined;
      }
      if (!this.held) {
        const info: LockInfo = { id: randomUUID(), operation, who: 'test', host: os.hostname(), pid: process.pid,
          created: new Date().toISOString(), expires: new Date(Date.now() + this.leaseMs).toISOString() };
        this.held = info;
        return { info, release: async () => { if (this.held?.id === info.id) this.held = undefined; } };
      }
      if (Date.now() >= deadline) throw new LockedError('memory', this.held);
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  async forceUnlock(id: string): Promise<void> {
    if (this.held?.id !== id) throw new StateError(`Lock ID ${id} does not match the lock held (${this.held?.id ?? 'none'}).`);
    this.held = undefined;
  }
}
