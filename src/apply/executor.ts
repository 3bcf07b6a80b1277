/**
 * The DAG executor: independent actions in parallel (`parallelism`), builds one per platform at a
 * time, a failed action fails only what depends on it and everything else finishes.
 */
import type { Action } from '../plan/types.js';

/** Lifecycle events of an action (also the `--json` lines of apply). */
export type ApplyEvent =
  | { event: 'start'; id: string; type: Action['type']; address: string; time: string }
  | { event: 'done'; id: string; type: Action['type']; address: string; time: string; ms: number; digest?: string }
  | { event: 'failed'; id: string; type: Action['type']; address: string; time: string; ms: number; error: string }
  | { event: 'skipped'; id: string; type: Action['type']; address: string; time: string; reason: string }
  | { event: 'log'; id: string; line: string };

/** How the run ended. */
export interface ApplyOutcome {
  done: string[];
  failed: Array<{ id: string; error: string }>;
  skipped: Array<{ id: string; reason: string }>;
  /** Interrupted runs: actions that were running when the signal came and did not finish (also in `skipped`). */
  stopped?: string[];
}

/** Executor options. */
export interface ExecuteOptions {
  parallelism: number;
  run(action: Action): Promise<string | undefined>;
  /** Actions that are not run, with why (e.g. --only excluded attest). */
  skip?(action: Action): string | undefined;
  /**
   * Actions not run here whose result exists already (a build another CI job pushed and `state
   * merge` recorded): reported as skipped with the reason, but their dependents go ahead.
   */
  satisfied?(action: Action): string | undefined;
  emit(event: ApplyEvent): void;
  /** Aborted on Ctrl-C/SIGTERM: nothing new starts; running actions that then fail count as stopped. */
  signal?: AbortSignal;
}

/** Run the actions as a DAG. Dependencies not in the list count as satisfied (done in an earlier run or elsewhere). */
export async function execute(actions: Action[], opts: ExecuteOptions): Promise<ApplyOutcome> {
  const ids = new Set(actions.map((a) => a.id));
  const status = new Map<string, 'pending' | 'running' | 'done' | 'satisfied' | 'failed' | 'skipped'>(actions.map((a) => [a.id, 'pending']));
  const outcome: ApplyOutcome = { done: [], failed: [], skipped: [] };
  const busyPlatforms = new Set<string>();
  let running = 0;
  const now = () => new Date().toISOString();

  return new Promise((resolve) => {
    // Called after each pass: with nothing running, nothing more can start. Interrupted, what has not
    // started stays pending (the next apply plans it again). Otherwise an action still pending waits
    // on a dependency cycle (only a hand-edited plan has one): reported, not waited on forever.
    const finishIfIdle = () => {
      if (running > 0) return;
      if (!opts.signal?.aborted) for (const a of actions) if (status.get(a.id) === 'pending') markSkipped(a, 'never ready: its dependencies form a cycle');
      resolve(outcome);
    };
    const markSkipped = (a: Action, reason: string, satisfied = false) => {
      status.set(a.id, satisfied ? 'satisfied' : 'skipped');
      outcome.skipped.push({ id: a.id, reason });
      opts.emit({ event: 'skipped', id: a.id, type: a.type, address: a.address, time: now(), reason });
    };
    const pump = () => {
      let progressed = !opts.signal?.aborted;
      while (progressed) {
        progressed = false;
        for (const a of actions) {
          if (status.get(a.id) !== 'pending') continue;
          const deps = a.dependsOn.filter((d) => ids.has(d));
          const blocked = deps.find((d) => status.get(d) === 'failed' || status.get(d) === 'skipped');
          if (blocked) { markSkipped(a, `depends on ${blocked}, which ${status.get(blocked) === 'failed' ? 'failed' : 'was skipped'}`); progressed = true; continue; }
          const own = opts.skip?.(a);
          if (own) {
            const elsewhere = opts.satisfied?.(a);
            markSkipped(a, elsewhere ?? own, elsewhere !== undefined);
            progressed = true;
            continue;
          }
          if (!deps.every((d) => status.get(d) === 'done' || status.get(d) === 'satisfied')) continue;
          if (running >= opts.parallelism) continue;
          // One build per platform at a time: a native runner builds one image at a time well, two badly.
          // Stryker disable next-line ConditionalExpression: only builds carry a platform; another action's is undefined, which no build's slot is
          if (a.type === 'build' && busyPlatforms.has(a.platform)) continue;
          // No new pass for a start: a running action unblocks nothing until it settles, which pumps again.
          start(a);
        }
      }
      finishIfIdle();
    };
    const start = (a: Action) => {
      // Stryker disable next-line StringLiteral: any status but 'pending' takes it out of the queue; nothing reads 'running' itself
      status.set(a.id, 'running');
      running += 1;
      // Stryker disable next-line ConditionalExpression: only builds carry a platform; another action's is undefined, which no build's slot is
      if (a.type === 'build') busyPlatforms.add(a.platform);
      const t0 = Date.now();
      opts.emit({ event: 'start', id: a.id, type: a.type, address: a.address, time: now() });
      opts.run(a).then(
        (digest) => {
          status.set(a.id, 'done');
          outcome.done.push(a.id);
          opts.emit({ event: 'done', id: a.id, type: a.type, address: a.address, time: now(), ms: Date.now() - t0, ...(digest ? { digest } : {}) });
        },
        (error: Error) => {
          if (opts.signal?.aborted) {
            // Cancelled by the interrupt, not broken: say so, and do not count it as a failure.
            const reason = `stopped: ${String((opts.signal.reason as Error | undefined)?.message ?? 'interrupted')}`;
            // Stryker disable next-line StringLiteral: once interrupted no pass reads a status again (pump starts and marks nothing)
            status.set(a.id, 'skipped');
            outcome.skipped.push({ id: a.id, reason });
            (outcome.stopped ??= []).push(a.id);
            opts.emit({ event: 'skipped', id: a.id, type: a.type, address: a.address, time: now(), reason });
            return;
          }
          status.set(a.id, 'failed');
          const message = error.message.split('\n')[0];
          outcome.failed.push({ id: a.id, error: message });
          opts.emit({ event: 'failed', id: a.id, type: a.type, address: a.address, time: now(), ms: Date.now() - t0, error: message });
        },
      ).finally(() => {
        running -= 1;
        // Stryker disable next-line ConditionalExpression: only builds carry a platform; another action's is undefined, which no build's slot is
        if (a.type === 'build') busyPlatforms.delete(a.platform);
        pump();
      });
    };
    pump();
  });
}
