import { describe, expect, it } from 'vitest';
import type { Action } from '../plan/types.js';
import { execute, type ApplyEvent } from './executor.js';

const act = (id: string, dependsOn: string[] = [], platform = ''): Action => {
  const common = { id, address: id, app: 'a', image: 'a', version: '1.0.0', reason: 'r', dependsOn };
  return id.startsWith('build') ? { ...common, type: 'build', platform } : { ...common, type: 'merge' };
};
const platformOf = (a: Action) => (a.type === 'build' ? a.platform : '');

describe('executor', () => {
  it('runs in dependency order, fails only dependants, finishes the rest', async () => {
    // Given two versions whose arm64 build of v1 fails
    const actions = [
      act('build:v1/amd', [], 'amd'), act('build:v1/arm', [], 'arm'), act('merge:v1', ['build:v1/amd', 'build:v1/arm']),
      act('build:v2/amd', [], 'amd'), act('build:v2/arm', [], 'arm'), act('merge:v2', ['build:v2/amd', 'build:v2/arm']),
    ];
    const order: string[] = [];
    const events: ApplyEvent[] = [];
    // When they run
    const outcome = await execute(actions, {
      parallelism: 4,
      run: async (a) => { order.push(a.id); await new Promise((r) => setTimeout(r, 5)); if (a.id === 'build:v1/arm') throw new Error('exit 1\nmore'); return undefined; },
      emit: (e) => events.push(e),
    });
    // Then v2 completes, v1's merge is skipped naming the failed build, and the failure keeps its first line
    expect(outcome.done.sort()).toEqual(['build:v1/amd', 'build:v2/amd', 'build:v2/arm', 'merge:v2']);
    expect(outcome.failed).toEqual([{ id: 'build:v1/arm', error: 'exit 1' }]);
    expect(outcome.skipped).toEqual([{ id: 'merge:v1', reason: 'depends on build:v1/arm, which failed' }]);
    expect(order.indexOf('merge:v2')).toBeGreaterThan(order.indexOf('build:v2/arm'));
  });

  it('on an interrupt starts nothing new, counts cancelled actions as stopped (not failed), and keeps what finished', async () => {
    // Given a build per platform, the arm64 one slow and cancellable, and a merge waiting on both
    const controller = new AbortController();
    const actions = [act('build:v1/amd', [], 'amd'), act('build:v1/arm', [], 'arm'), act('merge:v1', ['build:v1/amd', 'build:v1/arm']), act('build:v2/amd', [], 'amd'), act('build:v3/amd', [], 'amd')];
    const started: string[] = [];
    const events: ApplyEvent[] = [];
    const outcome = await execute(actions, {
      parallelism: 4,
      signal: controller.signal,
      emit: (e) => events.push(e),
      run: (a) => {
        started.push(a.id);
        if (a.id === 'build:v1/amd') return Promise.resolve(undefined);
        // When the interrupt comes while the arm64 build runs
        setTimeout(() => controller.abort(new Error('stopped by SIGINT')), 10);
        return new Promise((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('killed'))));
      },
    });
    // Then the finished build stays done, the running one is stopped, nothing else starts
    expect(outcome.done).toEqual(['build:v1/amd']);
    expect(outcome.failed).toEqual([]);
    expect(outcome.stopped?.sort()).toEqual(['build:v1/arm', 'build:v2/amd']);
    expect(outcome.skipped).toContainEqual({ id: 'build:v1/arm', reason: 'stopped: stopped by SIGINT' });
    expect(started).not.toContain('merge:v1');
    expect(started).not.toContain('build:v3/amd');
    expect(events.filter((e) => e.event === 'failed')).toEqual([]);
  });

  it('builds one image per platform at a time, and respects parallelism', async () => {
    let concurrent = 0; let peak = 0; const perPlatform = new Map<string, number>(); let platformPeak = 0;
    const actions = Array.from({ length: 6 }, (_, i) => act(`build:${i}`, [], i % 2 ? 'arm' : 'amd'));
    await execute(actions, {
      parallelism: 4,
      run: async (a) => {
        concurrent++; peak = Math.max(peak, concurrent);
        perPlatform.set(platformOf(a), (perPlatform.get(platformOf(a)) ?? 0) + 1); platformPeak = Math.max(platformPeak, perPlatform.get(platformOf(a))!);
        await new Promise((r) => setTimeout(r, 10));
        concurrent--; perPlatform.set(platformOf(a), perPlatform.get(platformOf(a))! - 1);
        return undefined;
      },
      emit: () => undefined,
    });
    expect(peak).toBe(2);
    expect(platformPeak).toBe(1);
  });

  it('an excluded action whose result exists elsewhere is reported skipped but does not block its dependents', async () => {
    const actions = [act('build:v1/amd', [], 'amd'), act('build:v1/arm', [], 'arm'), act('merge:v1', ['build:v1/amd', 'build:v1/arm'])];
    const outcome = await execute(actions, {
      parallelism: 2,
      run: async () => undefined,
      skip: (a) => (a.type === 'build' ? 'not in --only merge' : undefined),
      satisfied: (a) => (a.id === 'build:v1/amd' ? 'built elsewhere' : undefined),
      emit: () => undefined,
    });
    // arm was not built anywhere: the merge must wait for it, so it is skipped naming it
    expect(outcome.skipped).toEqual([
      { id: 'build:v1/amd', reason: 'built elsewhere' }, { id: 'build:v1/arm', reason: 'not in --only merge' },
      { id: 'merge:v1', reason: 'depends on build:v1/arm, which was skipped' },
    ]);
    const both = await execute(actions, {
      parallelism: 2, run: async () => undefined, emit: () => undefined,
      skip: (a) => (a.type === 'build' ? 'not in --only merge' : undefined), satisfied: () => 'built elsewhere',
    });
    expect(both.done).toEqual(['merge:v1']);
  });
});

describe('executor edges (mutation testing, issue 20)', () => {
  it('limits running actions to parallelism for actions that are not builds too', async () => {
    let concurrent = 0; let peak = 0;
    const actions = Array.from({ length: 5 }, (_, i) => act(`merge:${i}`));
    const outcome = await execute(actions, {
      parallelism: 2,
      run: async () => { concurrent++; peak = Math.max(peak, concurrent); await new Promise((r) => setTimeout(r, 10)); concurrent--; return undefined; },
      emit: () => undefined,
    });
    expect(peak).toBe(2);
    expect(outcome.done).toHaveLength(5);
  });

  it('builds without a platform share one slot; a dependency outside the list counts as done', async () => {
    let concurrent = 0; let peak = 0;
    const actions = [act('build:x'), act('build:y'), act('merge:z', ['build:x', 'build:elsewhere'])];
    const outcome = await execute(actions, {
      parallelism: 4,
      run: async (a) => {
        const build = a.type === 'build';
        if (build) { concurrent++; peak = Math.max(peak, concurrent); }
        await new Promise((r) => setTimeout(r, 10));
        if (build) concurrent--;
        return undefined;
      },
      emit: () => undefined,
    });
    expect(peak).toBe(1);
    expect({ ...outcome, done: [...outcome.done].sort() }).toEqual({ done: ['build:x', 'build:y', 'merge:z'], failed: [], skipped: [] });
  });

  it('emits start, then done with the digest and duration, or failed with the first line of the error', async () => {
    const events: ApplyEvent[] = [];
    await execute([act('build:ok', [], 'amd'), act('merge:none'), act('build:bad', [], 'arm')], {
      parallelism: 1,
      run: async (a) => {
        if (a.id === 'build:bad') throw new Error('boom\ntrace');
        return a.id === 'build:ok' ? 'sha256:abc' : undefined;
      },
      emit: (e) => events.push(e),
    });
    const shape = events.map((e) => {
      const { time, ms, ...rest } = e as ApplyEvent & { time?: string; ms?: number };
      expect(Number.isNaN(Date.parse(time!))).toBe(false);
      if (e.event !== 'start') expect(ms).toBeGreaterThanOrEqual(0);
      return rest;
    });
    expect(shape).toEqual([
      { event: 'start', id: 'build:ok', type: 'build', address: 'build:ok' },
      { event: 'done', id: 'build:ok', type: 'build', address: 'build:ok', digest: 'sha256:abc' },
      { event: 'start', id: 'merge:none', type: 'merge', address: 'merge:none' },
      { event: 'done', id: 'merge:none', type: 'merge', address: 'merge:none' },
      { event: 'start', id: 'build:bad', type: 'build', address: 'build:bad' },
      { event: 'failed', id: 'build:bad', type: 'build', address: 'build:bad', error: 'boom' },
    ]);
  });

  it('skips with an event, and a skip blocks what depends on it; a failure blocks transitively', async () => {
    const events: ApplyEvent[] = [];
    const outcome = await execute([act('build:a'), act('merge:b', ['build:a']), act('merge:c', ['merge:b']), act('build:d'), act('merge:e', ['build:d'])], {
      parallelism: 2,
      run: async (a) => { if (a.id === 'build:d') throw new Error('no'); return undefined; },
      skip: (a) => (a.id === 'build:a' ? 'excluded' : undefined),
      emit: (e) => events.push(e),
    });
    expect(outcome.skipped).toEqual([
      { id: 'build:a', reason: 'excluded' },
      { id: 'merge:b', reason: 'depends on build:a, which was skipped' },
      { id: 'merge:c', reason: 'depends on merge:b, which was skipped' },
      { id: 'merge:e', reason: 'depends on build:d, which failed' },
    ]);
    expect(events.filter((e) => e.event === 'skipped').map((e) => e.id)).toEqual(['build:a', 'merge:b', 'merge:c', 'merge:e']);
  });

  it('an interrupt without a reason message reads "interrupted"; one before anything starts runs nothing', async () => {
    const controller = new AbortController();
    const outcome = await execute([act('merge:a'), act('merge:b', ['merge:a'])], {
      parallelism: 2,
      signal: controller.signal,
      run: () => new Promise((_, reject) => { controller.abort('no message'); reject(new Error('killed')); }),
      emit: () => undefined,
    });
    expect(outcome).toEqual({ done: [], failed: [], skipped: [{ id: 'merge:a', reason: 'stopped: interrupted' }], stopped: ['merge:a'] });
    const ran: string[] = [];
    const early = await execute([act('merge:x')], { parallelism: 1, signal: AbortSignal.abort(), run: async (a) => { ran.push(a.id); return undefined; }, emit: () => undefined });
    expect(early).toEqual({ done: [], failed: [], skipped: [] });
    expect(ran).toEqual([]);
  });

  it('an interrupt waits for running actions to settle before it resolves, and keeps those that finished', async () => {
    const controller = new AbortController();
    let settled = false;
    const outcome = await execute([act('merge:slow'), act('merge:next', ['merge:slow'])], {
      parallelism: 2,
      signal: controller.signal,
      run: async () => { controller.abort(new Error('SIGTERM')); await new Promise((r) => setTimeout(r, 20)); settled = true; return undefined; },
      emit: () => undefined,
    });
    expect(settled).toBe(true);
    expect(outcome).toEqual({ done: ['merge:slow'], failed: [], skipped: [] });
  });

  /** The outcome, or 'hung' when the executor has not resolved within a second (a lost wake-up). */
  const settle = <T>(p: Promise<T>) => Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 1000))]);

  it('skips listed before what they depend on still settle: a skip or a block wakes the next pass', async () => {
    // Given dependants listed before the action they wait on, which is skipped
    const actions = [act('merge:c', ['merge:b']), act('merge:b', ['build:a']), act('build:a')];
    const outcome = await settle(execute(actions, { parallelism: 1, run: async () => undefined, skip: (a) => (a.id === 'build:a' ? 'excluded' : undefined), emit: () => undefined }));
    expect(outcome).toEqual({ done: [], failed: [], skipped: [
      { id: 'build:a', reason: 'excluded' }, { id: 'merge:b', reason: 'depends on build:a, which was skipped' }, { id: 'merge:c', reason: 'depends on merge:b, which was skipped' },
    ] });
  });

  it('only builds hold a platform slot: a merge running beside platform-less builds neither takes nor frees theirs', async () => {
    let builds = 0; let peak = 0;
    const started: string[] = [];
    const outcome = await settle(execute([act('merge:m'), act('build:x'), act('build:y')], {
      parallelism: 3,
      run: async (a) => {
        started.push(a.id);
        if (a.type === 'build') { builds++; peak = Math.max(peak, builds); }
        await new Promise((r) => setTimeout(r, a.type === 'build' ? 30 : 5));
        if (a.type === 'build') builds--;
        return undefined;
      },
      emit: () => undefined,
    }));
    expect(outcome).not.toBe('hung');
    expect(started.slice(0, 2)).toEqual(['merge:m', 'build:x']);
    expect(peak).toBe(1);
  });

  it('an action cancelled by the interrupt is reported as a skipped event with the reason, and durations are small', async () => {
    const controller = new AbortController();
    const events: ApplyEvent[] = [];
    await execute([act('merge:done'), act('merge:cut')], {
      parallelism: 1,
      signal: controller.signal,
      run: (a) => (a.id === 'merge:done' ? Promise.resolve('sha256:d') : new Promise((_, reject) => { controller.abort(new Error('SIGINT')); reject(new Error('killed')); })),
      emit: (e) => events.push(e),
    });
    expect(events.filter((e) => e.event !== 'start').map((e) => [e.event, e.id, 'reason' in e ? e.reason : undefined])).toEqual([
      ['done', 'merge:done', undefined], ['skipped', 'merge:cut', 'stopped: SIGINT'],
    ]);
    const failed: ApplyEvent[] = [];
    await execute([act('merge:bad')], { parallelism: 1, run: () => Promise.reject(new Error('x')), emit: (e) => failed.push(e) });
    for (const e of [...events, ...failed]) if ('ms' in e) expect(e.ms).toBeLessThan(60_000);
    expect(failed.map((e) => e.event)).toEqual(['start', 'failed']);
  });

  it('a dependency cycle (a hand-edited plan) is reported as skipped, with what depends on it, instead of never finishing', async () => {
    // Given two merges waiting on each other, a third waiting on them, and an unrelated build
    const events: ApplyEvent[] = [];
    const outcome = await settle(execute([act('merge:a', ['merge:b']), act('merge:b', ['merge:a']), act('merge:c', ['merge:a']), act('build:x', [], 'amd')], {
      parallelism: 2, run: async () => undefined, emit: (e) => events.push(e),
    }));
    // Then the build runs, and the rest is skipped saying why
    const reason = 'never ready: its dependencies form a cycle';
    expect(outcome).toEqual({ done: ['build:x'], failed: [], skipped: [{ id: 'merge:a', reason }, { id: 'merge:b', reason }, { id: 'merge:c', reason }] });
    expect(events.filter((e) => e.event === 'skipped').map((e) => e.id)).toEqual(['merge:a', 'merge:b', 'merge:c']);
  });

  it('an interrupt whose reason is null reads "interrupted" too', async () => {
    const controller = new AbortController();
    const outcome = await settle(execute([act('merge:a')], {
      parallelism: 1,
      signal: controller.signal,
      run: () => new Promise((_, reject) => { controller.abort(null); reject(new Error('killed')); }),
      emit: () => undefined,
    }));
    expect(outcome).toEqual({ done: [], failed: [], skipped: [{ id: 'merge:a', reason: 'stopped: interrupted' }], stopped: ['merge:a'] });
  });
});
