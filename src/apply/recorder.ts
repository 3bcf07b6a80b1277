/**
 * The state during an apply: every completed step is written at once (atomic file write), one
 * write at a time, so a killed apply loses at most the step in flight and the next run resumes.
 */
import type { HistoryEvent, Resource, State, StateStore } from '../state/types.js';

/** Serialized state updates with history. */
export class StateRecorder {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: StateStore, private current: State, private readonly who: string) {}

  /** The latest state (read-only use). */
  get state(): State {
    return this.current;
  }

  /** Record a resource and its history event, then persist. */
  record(address: string, resource: Resource, action: string, upstream?: { tag: string; commit?: string }): Promise<void> {
    const run = this.queue.then(async () => {
      const previous = this.current.resources[address];
      const event: HistoryEvent = {
        time: new Date().toISOString(), who: this.who, action, address, digest: resource.digest,
        ...(previous && previous.digest !== resource.digest ? { previous: previous.digest } : {}),
        ...(upstream ? { upstream } : {}),
      };
      const next: State = { ...this.current, resources: { ...this.current.resources, [address]: resource }, history: [...this.current.history, event] };
      this.current = await this.store.write(next);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
