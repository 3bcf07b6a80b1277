/**
 * State fragments: what a build runner of the CI matrix pushed (`apply PLANFILE --only build
 * --fragment-out FILE`), without access to the shared state. A fragment is plain JSON signed off
 * by the plan it came from (its id, the state lineage and serial it was made against) and bound to
 * its job: it lists the build actions that job was given (the plan's builds under its `--target`,
 * `--platform` and `--only`), and `state merge` refuses any address outside them. Without that, a
 * build job for app a could record `b@1.0.0/…` with a's digest, which apply would publish and sign
 * as b. Rewritten after every step like the state, and folded in by `mirror state merge`.
 */
import { z } from 'zod';
import { BugError, StateError } from '../errors.js';
import { contentId } from '../system/content-id.js';
import { issuePath } from '../system/issue-path.js';
import { jsonProblem } from '../system/json-problem.js';
import { buildAddress } from './addresses.js';
import { writeFileAtomic } from './file-store.js';
import { newState } from './new-state.js';
import { HistoryEventSchema, ResourceSchema, type LockHandle, type Locker, type State, type StateStore, type WriteOptions } from './types.js';
import { assertInScope, successorOf } from './write-guard.js';

/**
 * The saved plan a fragment belongs to: the parts this file reads. State sits below plan, so it
 * names them here instead of importing plan/types.ts (whose Plan satisfies this). The plan's id is
 * the content hash of the whole plan, as plan/plan-id.ts computes it, so callers pass the plan
 * itself, never a part of it.
 */
export interface FragmentPlan {
  configHash: string;
  state: { lineage: string | null; serial: number };
  actions: ReadonlyArray<{ type: string; address: string }>;
}

/** The fragment file (fragmentVersion 1). */
export const FragmentSchema = z.object({
  fragmentVersion: z.literal(1),
  plan: z.object({ id: z.string(), lineage: z.string().uuid().nullable(), serial: z.number().int().nonnegative(), configHash: z.string() }),
  /** Addresses of the build actions this fragment's job was given; its resources must be among them. */
  actions: z.array(z.string().max(512)).max(100_000),
  resources: z.record(z.string(), ResourceSchema),
  history: z.array(HistoryEventSchema),
});
/** A parsed fragment. */
export type Fragment = z.infer<typeof FragmentSchema>;

/** Parse a fragment file's text; errors name the file. */
export function parseFragment(text: string, file: string): Fragment {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateError(`Fragment ${file} is not valid JSON (${jsonProblem(error)}).`, 'Use the file the build job wrote with --fragment-out.');
  }
  const parsed = FragmentSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateError(`Fragment ${file} is not a mirror state fragment: ${issuePath(issue.path)}: ${issue.message}.`, 'Use the file the build job wrote with --fragment-out.');
  }
  return parsed.data;
}

/**
 * Refuse a fragment that records anything outside its job: an address not among its build actions,
 * a record that is not a build of exactly that address, and, when the plan is given
 * (`state merge --plan`), a fragment of another plan or actions that plan never had.
 */
export function assertFragmentScope(fragment: Fragment, file: string, plan?: FragmentPlan): void {
  const redo = 'Merge only the fragments the build jobs of this plan wrote (apply PLANFILE --only build --fragment-out FILE).';
  if (plan) {
    const id = contentId(plan);
    if (fragment.plan.id !== id) throw new StateError(`Refusing fragment ${file}: it belongs to plan ${fragment.plan.id}, not to the given plan ${id}.`, redo);
    const builds = new Set(plan.actions.filter((a) => a.type === 'build').map((a) => a.address));
    const foreign = fragment.actions.find((a) => !builds.has(a));
    if (foreign) throw new StateError(`Refusing fragment ${file}: its job claims build ${foreign}, which the plan does not have.`, redo);
  }
  const given = new Set(fragment.actions);
  for (const [address, rec] of Object.entries(fragment.resources)) {
    if (!given.has(address)) {
      throw new StateError(`Refusing fragment ${file}: it records ${address}, which is not one of the build actions its job was given (${fragment.actions.join(', ') || 'none'}).`, redo);
    }
    const own = rec.type === 'build' && rec.version !== undefined && rec.platform !== undefined && buildAddress(rec.app, rec.image, rec.version, rec.platform) === address;
    if (!own) throw new StateError(`Refusing fragment ${file}: its record for ${address} is not a build of that address (${rec.type} of ${rec.app}/${rec.image}).`, redo);
  }
}

/** A StateStore that keeps the run's records in memory and mirrors them to the fragment file after every write. */
export class FragmentStore implements StateStore {
  readonly location: string;
  private state: State;
  private readonly header: Fragment['plan'];
  private readonly actions: string[];

  /** `actions`: the build addresses this job runs (see jobActions in services/apply.ts). */
  constructor(file: string, plan: FragmentPlan, actions: string[]) {
    this.location = file;
    this.header = { id: contentId(plan), lineage: plan.state.lineage, serial: plan.state.serial, configHash: plan.configHash };
    this.actions = [...actions].sort();
    this.state = { ...newState(), ...(plan.state.lineage ? { lineage: plan.state.lineage } : {}) };
  }

  async read(): Promise<State> {
    return structuredClone(this.state);
  }

  async write(state: State, opts: WriteOptions = {}): Promise<State> {
    if (state.serial !== this.state.serial) throw new BugError(`fragment ${this.location} written from a stale copy`);
    const next = successorOf(state, this.location); // validated: a fragment `state merge` could not read is never written
    assertInScope(this.state, next, opts.scope, { noun: 'State', location: this.location });
    const fragment: Fragment = { fragmentVersion: 1, plan: this.header, actions: this.actions, resources: next.resources, history: next.history };
    await writeFileAtomic(this.location, `${JSON.stringify(fragment, null, 2)}\n`);
    this.state = next;
    return structuredClone(next);
  }

  async replace(): Promise<State> {
    throw new BugError('a fragment is never replaced');
  }
}

/** Build runners share no state, so there is nothing to lock: each writes its own fragment. */
export class NoLocker implements Locker {
  async acquire(operation: string): Promise<LockHandle> {
    const now = new Date().toISOString();
    return { info: { id: 'fragment', operation, who: '', host: '', pid: process.pid, created: now, expires: now }, release: async () => undefined };
  }
  // Stryker disable next-line BlockStatement: an empty body returns undefined too
  async current() { return undefined; }
  async forceUnlock(): Promise<void> { throw new BugError('fragments have no lock'); }
}
