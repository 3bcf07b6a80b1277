/** The stale-plan rule (Terraform's): a saved plan applies only to the state and config it was made from. */
import { describe, expect, it } from 'vitest';
import { smallPlan } from '../../test/fixtures/plans.js';
import { AbortError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { planId } from '../plan/plan-id.js';
import type { State } from '../state/types.js';
import { assertFresh, assertSameConfig } from './stale.js';

const LINEAGE = '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11';
const plan = (state: Plan['state'] = { lineage: LINEAGE, serial: 3 }): Plan => ({ ...smallPlan(), state });
const HASH = smallPlan().configHash;
const state = (serial: number, history: State['history'] = [], lineage = LINEAGE): State => ({ formatVersion: 2, lineage, serial, resources: {}, history });
const event = (address: string, extra: Partial<State['history'][number]> = {}) => ({ time: '2025-06-01T00:00:00.000Z', who: 'ci', operation: 'apply', action: 'build', address, ...extra });
const refusal = (fn: () => void) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(AbortError); return e as AbortError; } throw new Error('not refused'); };

describe('assertFresh', () => {
  it('passes for the state and config the plan was made from, and for a plan made before any state', () => {
    expect(() => assertFresh(plan(), state(3), HASH, 'p.json')).not.toThrow();
    expect(() => assertFresh(plan({ lineage: null, serial: 0 }), undefined, HASH, 'p.json')).not.toThrow();
    // made with no state: any lineage that appeared since is fine while the serial still matches
    expect(() => assertFresh(plan({ lineage: null, serial: 0 }), state(0), HASH, 'p.json')).not.toThrow();
  });

  it('refuses another config, naming both hashes cut short, and says how to redo it', () => {
    const other = `sha256:${'1'.repeat(64)}`;
    const e = refusal(() => assertSameConfig(plan(), other, 'p.json'));
    expect(e.message).toBe(`Saved plan p.json is stale: the config changed since it was made (${HASH.slice(0, 19)}… → ${other.slice(0, 19)}…).`);
    expect(e.nextSteps).toBe('Make a new plan: mirror plan --out p.json');
    expect(refusal(() => assertFresh(plan(), state(3), other, 'p.json')).message).toMatch(/the config changed/);
  });

  it('refuses another lineage, or a state that is gone', () => {
    const other = '3c9f1b75-6a6d-4e66-8b4a-7b4a1d8e2f22';
    expect(refusal(() => assertFresh(plan(), state(3, [], other), HASH, 'p.json')).message)
      .toBe(`Saved plan p.json is stale: it was made for state lineage ${LINEAGE}, the state file is ${other}.`);
    expect(refusal(() => assertFresh(plan(), undefined, HASH, 'p.json')).message).toMatch(/the state file is absent\.$/);
  });

  it('refuses a state that moved, naming up to five addresses changed since the plan and counting the rest', () => {
    const since = ['a@1', 'a@2', 'a@3', 'a@4', 'a@5', 'a@6', 'a@6'].map((a) => event(a));
    const old = event('old@1', { time: '2024-01-01T00:00:00.000Z' }); // before the plan: not named
    const e = refusal(() => assertFresh(plan(), state(5, [old, ...since]), HASH, 'p.json'));
    expect(e.message).toBe('Saved plan p.json is stale: the state moved from serial 3 to 5 since it was made; changed since: a@1, a@2, a@3, a@4, a@5 and 1 more.');
    expect(e.nextSteps).toBe('Make a new plan: mirror plan --out p.json');
    expect(refusal(() => assertFresh(plan(), state(4, [old]), HASH, 'p.json')).message).toBe('Saved plan p.json is stale: the state moved from serial 3 to 4 since it was made.');
    expect(refusal(() => assertFresh(plan(), state(4, ['a@1', 'a@2', 'a@3', 'a@4', 'a@5'].map((x) => event(x))), HASH, 'p.json')).message).toMatch(/; changed since: a@1, a@2, a@3, a@4, a@5\.$/);
    expect(refusal(() => assertFresh(plan(), state(2), HASH, 'p.json')).message).toMatch(/moved from serial 3 to 2/);
  });

  it("is not stale after folding in only this plan's own build fragments; anything else since makes it stale", () => {
    const p = plan();
    const id = planId(p);
    const [b1, b2] = p.actions.filter((a) => a.type === 'build').map((a) => a.address);
    expect(() => assertFresh(p, state(5, [event(b1, { plan: id }), event(b2, { plan: id })]), HASH, 'p.json')).not.toThrow();
    // another plan's build, a non-build address of this plan, or nothing recorded since
    expect(() => assertFresh(p, state(5, [event(b1, { plan: id }), event(b2, { plan: 'sha256:other' })]), HASH, 'p.json')).toThrow(/stale/);
    const merge = p.actions.find((a) => a.type === 'merge')!.address;
    expect(() => assertFresh(p, state(5, [event(merge, { plan: id })]), HASH, 'p.json')).toThrow(/stale/);
    expect(() => assertFresh(p, state(5), HASH, 'p.json')).toThrow(/stale/);
    // and never when the serial went down
    expect(() => assertFresh(p, state(2, [event(b1, { plan: id })]), HASH, 'p.json')).toThrow(/stale/);
  });
});

describe('assertFresh edges (mutation testing, issue 20)', () => {
  it('a plan made against a serial whose state is now gone says it moved to 0', () => {
    expect(refusal(() => assertFresh(plan({ lineage: null, serial: 3 }), undefined, HASH, 'p.json')).message)
      .toBe('Saved plan p.json is stale: the state moved from serial 3 to 0 since it was made.');
  });

  it('an event at the very time the plan was made is not "since" it', () => {
    const p = plan();
    const at = event('a@1', { time: p.createdAt });
    expect(refusal(() => assertFresh(p, state(4, [at]), HASH, 'p.json')).message).toBe('Saved plan p.json is stale: the state moved from serial 3 to 4 since it was made.');
  });
});
