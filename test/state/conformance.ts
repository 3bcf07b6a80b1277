/**
 * The conformance suite every StateStore + Locker passes (Terraform's statemgr habit), fakes
 * included, so a new backend (oci) is correct by the same tests and the fake cannot drift.
 */
import { describe, expect, it } from 'vitest';
import { AbortError, BugError, StateError } from '../../src/errors.js';
import { LockedError } from '../../src/state/lock-core.js';
import { newState } from '../../src/state/new-state.js';
import type { LockInfo, Locker, State, StateStore } from '../../src/state/types.js';

/** One implementation under test, on fresh empty storage. */
export interface StoreUnderTest {
  store: StateStore;
  locker: Locker;
  /**
   * Another locker on the same storage (another process's view). `leaseMs` + `renew: false`
   * make a holder whose lease lapses: a CI job that was killed without releasing.
   */
  peer(opts?: { leaseMs?: number; renew?: boolean }): Locker;
  cleanup(): Promise<void>;
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function withResource(s: State, version: string): State {
  const now = new Date().toISOString();
  return { ...s, resources: { ...s.resources, [`a@${version}`]: { type: 'index', app: 'a', image: 'a', version, digest: digest('a'), createdAt: now, updatedAt: now } } };
}

/** Declare the conformance tests for one implementation under `describe(name)`. */
export function describeStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  const withStore = (fn: (t: StoreUnderTest) => Promise<void>) => async () => {
    const t = await makeStore();
    try { await fn(t); } finally { await t.cleanup(); }
  };

  describe(`${name} conformance`, () => {
    it('reads undefined before the first write, then exactly what was written', withStore(async ({ store }) => {
      expect(await store.read()).toBeUndefined();
      const written = await store.write(withResource(newState(), '1.0.0'));
      expect(written.serial).toBe(1);
      expect(written.resources['a@1.0.0'].digest).toBe(digest('a'));
      expect(await store.read()).toEqual(written);
    }));

    it('hands out copies: mutating what was read or returned does not change what is stored', withStore(async ({ store }) => {
      const written = await store.write(newState());
      written.resources.x = written.resources.x ?? { type: 'tag', app: 'x', image: 'x', digest: digest('b'), createdAt: '', updatedAt: '' };
      const read = (await store.read())!;
      expect(read.resources).toEqual({});
      read.history.push({ time: '', who: '', operation: 'x', action: 'x', address: 'x' });
      expect((await store.read())!.history).toEqual([]);
    }));

    it('increments serial on every write and keeps the lineage', withStore(async ({ store }) => {
      let s = await store.write(newState());
      const lineage = s.lineage;
      for (const expected of [2, 3, 4]) {
        s = await store.write(withResource(s, `1.0.${expected}`));
        expect(s.serial).toBe(expected);
        expect(s.lineage).toBe(lineage);
      }
      expect((await store.read())!.serial).toBe(4);
    }));

    it('refuses a stale write (disk moved past the serial the caller read) and a foreign lineage', withStore(async ({ store }) => {
      const first = await store.write(newState());
      const second = await store.write(first);
      const stale = await store.write(withResource(first, '9.9.9')).catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(StateError);
      expect((stale as Error).message).toMatch(/serial 1 → 2/);
      const foreign = await store.write({ ...second, lineage: newState().lineage }).catch((e: unknown) => e);
      expect(foreign).toBeInstanceOf(StateError);
      expect((foreign as Error).message).toMatch(/lineage/);
      expect(await store.read()).toEqual(second);
    }));

    it('a scoped write changes only addresses in its scope: dropping or changing another record is refused', withStore(async ({ store }) => {
      // Given a state with app a and app b
      const base = withResource(newState(), '1.0.0');
      const bRecord = { ...base.resources['a@1.0.0'], app: 'b', image: 'b' };
      const both = await store.write({ ...base, resources: { ...base.resources, 'b@1.0.0': bRecord } });
      // When a write scoped to a drops b's record, or changes it, or adds one of b
      const { 'b@1.0.0': _dropped, ...withoutB } = both.resources;
      const dropped = await store.write({ ...both, resources: withoutB }, { scope: ['a'] }).catch((e: unknown) => e);
      const changed = await store.write({ ...both, resources: { ...both.resources, 'b@1.0.0': { ...bRecord, digest: digest('c') } } }, { scope: ['a@1.0.0'] }).catch((e: unknown) => e);
      const added = await store.write(withResource({ ...both, resources: { ...both.resources } }, '2.0.0'), { scope: ['b'] }).catch((e: unknown) => e);
      // Then each is refused naming the address, and the stored state is untouched
      for (const e of [dropped, changed, added]) expect(e).toBeInstanceOf(BugError);
      expect((dropped as Error).message).toMatch(/b@1\.0\.0, outside the scope a/);
      expect((added as Error).message).toMatch(/a@2\.0\.0, outside the scope b/);
      expect(await store.read()).toEqual(both);
      // And a change inside the scope is written
      const inScope = await store.write({ ...both, resources: { ...both.resources, 'a@1.0.0': { ...both.resources['a@1.0.0'], digest: digest('d') } } }, { scope: ['a'] });
      expect(inScope.resources['a@1.0.0'].digest).toBe(digest('d'));
      expect(inScope.resources['b@1.0.0']).toEqual(bRecord);
    }));

    it('treats writing an invalid state as a bug and stores nothing', withStore(async ({ store }) => {
      const bad = { ...newState(), resources: { x: { type: 'index', digest: 'nope' } } } as unknown as State;
      await expect(store.write(bad)).rejects.toBeInstanceOf(BugError);
      expect(await store.read()).toBeUndefined();
    }));

    it('holds the lock exclusively: a second taker waits its timeout, then fails naming the holder', withStore(async ({ locker, peer }) => {
      const held = await locker.acquire('apply');
      expect(await locker.current()).toMatchObject({ id: held.info.id, operation: 'apply', pid: process.pid });
      for (const other of [peer(), locker]) {
        const started = Date.now();
        const waitedFor: string[] = [];
        // 1 s: the first look at an OCI lock is a few registry round trips, which on a loaded CI
        // machine took the whole of a 250 ms timeout (then nothing was waited for and onWait, rightly, not called).
        const error = await other.acquire('plan', { timeoutMs: 1000, onWait: (h) => waitedFor.push(h.id) }).catch((e: unknown) => e);
        expect(Date.now() - started).toBeGreaterThanOrEqual(990);
        // It said once, naming the holder, that it was waiting (not once per poll)
        expect(waitedFor).toEqual([held.info.id]);
        expect(error).toBeInstanceOf(LockedError);
        expect(error).toBeInstanceOf(AbortError);
        expect((error as Error).message).toMatch(new RegExp(`is locked by .+ \\(pid ${process.pid}.*apply, since .*lock ID ${held.info.id}\\)`));
        expect((error as AbortError).nextSteps).toContain(`mirror force-unlock ${held.info.id}`);
      }
      await held.release();
    }));

    it('release lets another acquire, and then only removes its own lock', withStore(async ({ locker, peer }) => {
      const held = await locker.acquire('apply');
      await held.release();
      expect(await locker.current()).toBeUndefined();
      const waits: unknown[] = [];
      const again = await peer().acquire('apply', { timeoutMs: 250, onWait: (h) => waits.push(h) });
      expect(again.info.id).not.toBe(held.info.id);
      expect(waits).toEqual([]); // a free lock is taken without a word
      await held.release(); // a second release of a lock no longer ours must not free someone else's
      expect((await locker.current())?.id).toBe(again.info.id);
      await again.release();
    }));

    it('a waiting acquire gets the lock as soon as the holder releases', withStore(async ({ locker, peer }) => {
      const held = await locker.acquire('apply');
      setTimeout(() => void held.release(), 100);
      const next = await peer().acquire('apply', { timeoutMs: 2000 });
      expect((await locker.current())?.id).toBe(next.info.id);
      await next.release();
    }));

    it('a waiting acquire stops at once when its signal aborts (Ctrl-C), and never takes the lock afterwards', withStore(async ({ locker, peer }) => {
      const held = await locker.acquire('apply');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const error = await peer().acquire('apply', { timeoutMs: 10_000, signal: controller.signal }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((error as Error).message).toMatch(/^Stopped while waiting for the state lock held by .+ \(pid \d+ on .+\)\.$/);
      await held.release();
      await new Promise((r) => setTimeout(r, 100));
      expect(await locker.current()).toBeUndefined();
    }));

    it('takes over an expired lease, telling who held it', withStore(async ({ locker, peer }) => {
      const old = await peer({ leaseMs: 50, renew: false }).acquire('apply');
      await new Promise((r) => setTimeout(r, 80));
      const seen: LockInfo[] = [];
      const taken = await locker.acquire('apply', { timeoutMs: 1000, onTakeover: (o) => seen.push(o) });
      expect(seen.map((o) => o.id)).toEqual([old.info.id]);
      expect((await locker.current())?.id).toBe(taken.info.id);
      await old.release(); // the old holder coming back must not free the new lock
      expect((await locker.current())?.id).toBe(taken.info.id);
      await taken.release();
    }));

    it('does not take over a live lease', withStore(async ({ locker, peer }) => {
      const held = await peer({ leaseMs: 5000 }).acquire('apply');
      const seen: LockInfo[] = [];
      await expect(locker.acquire('apply', { timeoutMs: 100, onTakeover: (o) => seen.push(o) })).rejects.toBeInstanceOf(LockedError);
      expect(seen).toEqual([]);
      await held.release();
    }));

    it('force-unlock refuses a wrong id naming the real one, and releases with the right one', withStore(async ({ locker, peer }) => {
      await expect(locker.forceUnlock('nothing-held')).rejects.toBeInstanceOf(AbortError);
      const held = await locker.acquire('apply');
      const wrong = await peer().forceUnlock('not-the-id').catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(AbortError);
      expect((wrong as Error).message).toMatch(new RegExp(`does not match.*${held.info.id}`));
      expect((await locker.current())?.id).toBe(held.info.id);
      await peer().forceUnlock(held.info.id);
      expect(await locker.current()).toBeUndefined();
      const next = await peer().acquire('apply');
      await held.release();
      expect((await locker.current())?.id).toBe(next.info.id);
      await next.release();
    }));
  });
}
