/**
 * The state during an apply: every completed step is written at once (atomic file write), one
 * write at a time, so a killed apply loses at most the step in flight and the next run resumes.
 */
import type { HistoryEvent, Resource, State, StateStore } from '../state/types.js';

/** Serialized state updates with history. */
export class StateRecorder {
  private queue: Promise<unknown> = Promise.resolve();

  /** `scope`: the addresses this run may change (--target), enforced by the store. */
  constructor(private readonly store: StateStore, private current: State, private readonly who: string, private readonly scope?: readonly string[]) {}

  /** The latest state (read-only use). */
  get state(): State {
    return this.current;
  }

  /** Record a resource and its history event (old → new digest), then persist. */
  record(address: string, resource: Resource, action: string, upstream?: { tag: string; commit?: string }, seenInRegistry?: string): Promise<void> {
    return this.commit((current) => {
      // What the tag pointed at before: the registry's word when the step looked (drift repair), else the state's.
      const previous = seenInRegistry ?? current.resources[address]?.digest;
      const event: HistoryEvent = {
        time: new Date().toISOString(), who: this.who, operation: 'apply', action, address, digest: resource.digest,
        ...(previous && previous !== resource.digest ? { previous } : {}),
        ...(upstream ? { upstream } : {}),
        ...(action === 'attest' && resource.attestations ? { attestations: resource.attestations } : {}),
      };
      return { ...current, resources: { ...current.resources, [address]: resource }, history: [...current.history, event] };
    });
  }

  /** Record adopted resources (an index and its platform builds) with one `import` event each, in one write. */
  adopt(records: Array<[string, Resource]>): Promise<void> {
    return this.commit((current) => {
      const time = new Date().toISOString();
      const events: HistoryEvent[] = records.map(([address, r]) => ({ time, who: this.who, operation: 'apply', action: 'import', address, digest: r.digest }));
      return { ...current, resources: { ...current.resources, ...Object.fromEntries(records) }, history: [...current.history, ...events] };
    });
  }

  /** Remove resources (a pruned version's index and builds) with one history event, then persist. */
  forget(addresses: string[], event: { action: string; address: string; previous?: string }): Promise<void> {
    return this.commit((current) => {
      const resources = { ...current.resources };
      for (const address of addresses) delete resources[address];
      const entry: HistoryEvent = { time: new Date().toISOString(), who: this.who, operation: 'apply', ...event };
      return { ...current, resources, history: [...current.history, entry] };
    });
  }

  /** Queue a change: writes run one at a time, each from the state the previous one left. */
  private commit(change: (current: State) => State): Promise<void> {
    const run = this.queue.then(async () => {
      this.current = await this.store.write(change(this.current), { scope: this.scope });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
