/** The scope guard every store runs before a write (SPEC §5): pure, so its edges are tested here directly. */
import { describe, expect, it } from 'vitest';
import { BugError, StateError } from '../errors.js';
import { newState } from './new-state.js';
import type { State } from './types.js';
import { assertInScope, assertSuccessor, serialized } from './write-guard.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const index = (app: string, version: string, n: number) => ({ type: 'index' as const, app, image: app, version, digest: D(n), createdAt: 't', updatedAt: 't' });
const withResources = (resources: State['resources']): State => ({ ...newState(), resources });
const name = { noun: 'State file' as const, location: '/x/state.json' };

describe('assertInScope', () => {
  const before = withResources({ 'mm@1.0.0': index('mm', '1.0.0', 1), 'ol@1.0.0': index('ol', '1.0.0', 2), 'zz@1.0.0': index('zz', '1.0.0', 3) });

  it('allows changes under any one of several targets, and unchanged records outside them', () => {
    const next = withResources({ ...before.resources, 'mm@1.0.0': index('mm', '1.0.0', 10), 'ol@2.0.0': index('ol', '2.0.0', 11) });
    expect(() => assertInScope(before, next, ['mm', 'ol'], name)).not.toThrow();
    expect(() => assertInScope(before, next, undefined, name)).not.toThrow();
  });

  it('refuses adding, dropping or changing a record outside the scope, naming three and counting the rest', () => {
    const { ['zz@1.0.0']: _dropped, ...rest } = before.resources;
    const next = withResources({ ...rest, 'ol@1.0.0': index('ol', '1.0.0', 20), 'ol@2.0.0': index('ol', '2.0.0', 21), 'ol@3.0.0': index('ol', '3.0.0', 22) });
    expect(() => assertInScope(before, next, ['mm'], name)).toThrow(BugError);
    expect(() => assertInScope(before, next, ['mm'], name)).toThrow('Refusing to write state file /x/state.json: it would change ol@1.0.0, ol@2.0.0, ol@3.0.0 and 1 more, outside the scope mm.');
    const three = withResources({ ...before.resources, 'ol@1.0.0': index('ol', '1.0.0', 20), 'ol@2.0.0': index('ol', '2.0.0', 21), 'ol@3.0.0': index('ol', '3.0.0', 22) });
    expect(() => assertInScope(before, three, ['mm'], name)).toThrow(/it would change ol@1\.0\.0, ol@2\.0\.0, ol@3\.0\.0, outside the scope mm\.$/);
    // the first write (no state yet) is checked against nothing: every new record must be in scope
    expect(() => assertInScope(undefined, withResources({ 'ol@1.0.0': index('ol', '1.0.0', 2) }), ['mm'], name)).toThrow(/it would change ol@1\.0\.0,/);
    expect(() => assertInScope(undefined, withResources({ 'mm@1.0.0': index('mm', '1.0.0', 2) }), ['mm'], name)).not.toThrow();
  });
});

describe('assertSuccessor', () => {
  it('names the config key to check when the store has one, and tells to run again after a concurrent write', () => {
    const a = newState();
    const other = { ...newState(), lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11' };
    const lineage = (() => { try { assertSuccessor(a, other, { ...name, configKey: 'state.path' }); } catch (e) { return e as StateError; } return undefined; })();
    expect(lineage).toBeInstanceOf(StateError);
    expect(lineage!.nextSteps).toBe('Another state was put in its place; check state.path in the config, or use `mirror state push` to replace it on purpose.');
    const plain = (() => { try { assertSuccessor(a, other, name); } catch (e) { return e as StateError; } return undefined; })();
    expect(plain!.nextSteps).toBe('Another state was put in its place; use `mirror state push` to replace it on purpose.');
    const stale = (() => { try { assertSuccessor({ ...a, serial: 2 }, a, name); } catch (e) { return e as StateError; } return undefined; })();
    expect(stale!.nextSteps).toBe('Another process wrote it; run the command again so it starts from the new state.');
  });
});

describe('serialized', () => {
  it('runs calls with one key one at a time, in order, and goes on after a failure', async () => {
    const order: string[] = [];
    const step = (id: string, ms: number, fail = false) => serialized('k', async () => {
      order.push(`${id}>`); await new Promise((r) => setTimeout(r, ms)); order.push(`<${id}`);
      if (fail) throw new Error(id);
      return id;
    });
    const results = await Promise.allSettled([step('a', 20, true), step('b', 5), step('c', 1)]);
    expect(order).toEqual(['a>', '<a', 'b>', '<b', 'c>', '<c']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  });
});

describe('serialized (issue 20)', () => {
  it('a call made after an earlier one settled still waits for the one running now', async () => {
    const order: string[] = [];
    const step = (id: string, ms: number) => serialized('k2', async () => { order.push(`${id}>`); await new Promise((r) => setTimeout(r, ms)); order.push(`<${id}`); });
    const a = step('a', 5);
    const b = step('b', 60);
    await a; // a's cleanup runs while b is queued: it must not drop b from the queue
    await new Promise((r) => setTimeout(r, 10));
    await Promise.all([b, step('c', 1)]);
    expect(order).toEqual(['a>', '<a', 'b>', '<b', 'c>', '<c']);
  });
});

describe('assertInScope names every target of the scope (issue 20)', () => {
  it('lists several targets comma-separated', () => {
    const next = withResources({ 'zz@1.0.0': index('zz', '1.0.0', 1) });
    expect(() => assertInScope(undefined, next, ['mm', 'ol'], name)).toThrow(/outside the scope mm, ol\.$/);
  });
});
