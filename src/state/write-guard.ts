/**
 * What every state store does before it replaces the state, whatever holds it (a file, a
 * registry tag): writes in one process go one at a time, and a write must follow the state the
 * caller read (same lineage, same serial). Across processes the Locker serializes writers; the
 * serial check catches anyone who skipped it.
 */
import { BugError, StateError } from '../errors.js';
import { issuePath } from '../system/issue-path.js';
import { matchesTarget } from './addresses.js';
import { StateSchema, type State } from './types.js';

const writeQueues = new Map<string, Promise<unknown>>();

/** Run `fn` after every earlier call with the same key has settled. */
export function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const run = (writeQueues.get(key) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => undefined);
  writeQueues.set(key, tail);
  void tail.then(() => { if (writeQueues.get(key) === tail) writeQueues.delete(key); });
  return run;
}

/** How a store names itself in errors: `State file /x/state.json` and the config key that points at it (none for the in-memory fake). */
export interface StoreName {
  noun: 'State file' | 'State artifact' | 'State';
  location: string;
  configKey?: 'state.path' | 'state.ref';
}

/** Refuse to write `next` over `current` unless it descends from exactly that state. */
export function assertSuccessor(current: State, next: State, name: StoreName): void {
  if (current.lineage !== next.lineage) {
    throw new StateError(
      `${name.noun} ${name.location} belongs to another lineage (${current.lineage}, not ${next.lineage}).`,
      `Another state was put in its place; ${name.configKey ? `check ${name.configKey} in the config, or ` : ''}use \`mirror state push\` to replace it on purpose.`,
    );
  }
  if (current.serial !== next.serial) {
    throw new StateError(
      `${name.noun} ${name.location} changed since it was read (serial ${next.serial} → ${current.serial}).`,
      'Another process wrote it; run the command again so it starts from the new state.',
    );
  }
}

/** `state` at serial+1, validated: writing a state that would not read back is a bug, never a file. */
export function successorOf(state: State, location: string): State {
  const valid = StateSchema.safeParse({ ...state, serial: state.serial + 1 });
  if (!valid.success) {
    const issue = valid.error.issues[0];
    throw new BugError(`Refusing to write invalid state to ${location}: ${issuePath(issue.path)}: ${issue.message}`);
  }
  return valid.data;
}

/**
 * Refuse a write that adds, drops or changes a record outside `scope` (SPEC §5: `--target` and
 * `--refresh-only` write only the addresses in scope). Checked by every store against the state
 * it holds, so no command, present or future, can lose a record it was not asked about.
 */
export function assertInScope(current: State | undefined, next: State, scope: readonly string[] | undefined, name: StoreName): void {
  if (scope === undefined) return;
  const before = current?.resources ?? {};
  const addresses = new Set([...Object.keys(before), ...Object.keys(next.resources)]);
  const outside = [...addresses].filter((a) => !scope.some((t) => matchesTarget(a, t))
    && JSON.stringify(before[a]) !== JSON.stringify(next.resources[a])).sort();
  if (outside.length === 0) return;
  throw new BugError(`Refusing to write ${name.noun.toLowerCase()} ${name.location}: it would change ${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ` and ${outside.length - 3} more` : ''}, outside the scope ${scope.join(', ')}.`);
}
