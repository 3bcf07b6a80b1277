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
