/**
 * The conformance suite every StateStore + Locker passes (Terraform's statemgr habit), fakes
 * included, so a new backend (oci) is correct by the same tests.
 */
import { expect, it } from 'vitest';
import { newState } from './new-state.js';
import type { Locker, StateStore } from './types.js';

/** A store under test. */
export interface StoreUnderTest {
  store: StateStore;
  locker: Locker;
  /** A second locker on the same storage (another process's view). */
  otherLocker: Locker;
  /** A locker whose leases expire at once (a holder that stopped renewing). */
  expiringLocker: Locker;
  cleanup(): Promise<void>;
}

/** Declare the conformance tests for one implementation. */
export function storeConformance(make: () => Promise<StoreUnderTest>): void {
  it('reads undefined before the first write, then what was written', async () => {
    const t = await make();
    try {
      expect(await t.store.read()).toBeUndefined();
      const s = newState();
      s.resources['a@1.0.0'] = { type: 'index', app: 'a', image: 'a', version: '1.0.0', digest: `sha256:${'a'.repeat(64)}`, createdAt: 'x', updatedAt: 'x' };
      const written = await t.store.write(s);
      expect(written.serial).toBe(1);
      expect(await t.store.read()).toEqual(written);
    } finally { await t.cleanup(); }
  });

  it('increments serial on every write and refuses a stale or foreign write', async () => {
    const t = await make();
    try {
      const first = await t.store.write(newState());
      const second = await t.store.write(first);
      expect(second.serial).toBe(2);
      expect(second.lineage).toBe(first.lineage);
      await expect(t.store.write(first)).rejects.toThrow(/serial 1 → 2|changed/);
      await expect(t.store.write({ ...second, lineage: newState().lineage })).rejects.toThrow(/lineage/);
      expect((await t.store.read())?.serial).toBe(2);
    } finally { await t.cleanup(); }
  });

  it('holds the lock exclusively: a second taker waits, then fails naming the holder; release frees it', async () => {
    const t = await make();
    try {
      const held = await t.locker.acquire('apply');
      const started = Date.now();
      await expect(t.otherLocker.acquire('apply', { timeoutMs: 300 })).rejects.toThrow(new RegExp(`locked by .*lock ID ${held.info.id}`));
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      await held.release();
      const again = await t.otherLocker.acquire('apply', { timeoutMs: 300 });
      expect(again.info.id).not.toBe(held.info.id);
      await again.release();
    } finally { await t.cleanup(); }
  });

  it('takes over an expired lease, telling who held it', async () => {
    const t = await make();
    try {
      const old = await t.expiringLocker.acquire('apply');
      await new Promise((r) => setTimeout(r, 30));
      const seen: string[] = [];
      const taken = await t.locker.acquire('apply', { timeoutMs: 1000, onTakeover: (o) => seen.push(o.id) });
      expect(seen).toEqual([old.info.id]);
      await taken.release();
    } finally { await t.cleanup(); }
  });

  it('force-unlock needs the right id', async () => {
    const t = await make();
    try {
      const held = await t.locker.acquire('apply');
      await expect(t.otherLocker.forceUnlock('not-the-id')).rejects.toThrow(/does not match/);
      await t.otherLocker.forceUnlock(held.info.id);
      expect(await t.locker.current()).toBeUndefined();
    } finally { await t.cleanup(); }
  });
}
