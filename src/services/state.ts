/**
 * State commands (Terraform parity): read, list, show, rm, mv, pull, push, merge fragments,
 * import from the registry, history. Every change happens under the lock and through the store,
 * which keeps a backup of the previous state.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../config/model.js';
import { AbortError, StateError } from '../errors.js';
import { buildAddress, matchesTarget, parseAddress, type ParsedAddress } from '../state/addresses.js';
import type { StateBackend } from '../state/backend.js';
import { readStateText } from '../state/format.js';
import { NOTHING_HELD, onInterruptExit } from '../system/interrupt-exit.js';
import { whoAmI } from '../system/who-am-i.js';
import { newState } from '../state/new-state.js';
import { assertFragmentScope, parseFragment, type Fragment } from '../state/fragment.js';
import type { Plan } from '../plan/types.js';
import type { HistoryEvent, State, StateStore } from '../state/types.js';
import { withWorkspace, type Workspace, type WorkspaceOptions } from './workspace.js';

/** Where a command finds its config and state, and how long it waits for the lock. */
export interface StateOptions extends WorkspaceOptions {
  lockTimeoutMs?: number;
}

/** Run `fn` with the config and the state backend of the working directory, closing it after. */
export function withState<T>(opts: StateOptions, fn: (config: ResolvedConfig, backend: StateBackend) => Promise<T>): Promise<T> {
  return withWorkspace(opts, async (ws) => fn(ws.config, await ws.state()));
}

/** The state, or an empty one when none exists yet. */
export function readState(opts: StateOptions): Promise<State> {
  return withState(opts, async (_config, { store }) => (await store.read()) ?? newState());
}

/** The stored state, or undefined when there is none yet, and where it was looked for. */
export function readStoredState(opts: StateOptions): Promise<{ state?: State; location: string }> {
  return withState(opts, async (_config, { store }) => ({ state: await store.read(), location: store.location }));
}

/** Do `fn` holding the state lock. */
async function locked<T>(opts: StateOptions, operation: string, fn: (ws: Workspace, store: StateStore) => Promise<T>): Promise<T> {
  return withWorkspace(opts, async (ws) => {
    const { store, locker } = await ws.state();
    // Acquire and release are one unit for Ctrl-C/SIGTERM (system/interrupt-exit.ts), registered
    // before the lock is first written: a signal while acquiring (an OCI lock's settle delay, a
    // takeover, a wait) stops the acquire and releases whatever it took before the process exits.
    const stop = new AbortController();
    const acquiring = locker.acquire(operation, { timeoutMs: opts.lockTimeoutMs ?? 0, signal: stop.signal });
    const forget = onInterruptExit(async () => {
      stop.abort(new Error('interrupted'));
      const lock = await acquiring.catch(() => undefined);
      if (!lock) return NOTHING_HELD;
      await lock.release();
    });
    try {
      const lock = await acquiring;
      try {
        // Interrupted while acquiring: the handler releases it; change nothing meanwhile.
        if (stop.signal.aborted) throw new AbortError('Interrupted.');
        return await fn(ws, store);
      } finally {
        await lock.release();
      }
    } finally {
      forget();
    }
  });
}

/** Addresses matching an optional filter, sorted. */
export function selectAddresses(state: State, filter?: string): string[] {
  return Object.keys(state.resources).filter((a) => !filter || matchesTarget(a, filter)).sort();
}

/** History events for an optional address filter. */
export function selectHistory(state: State, filter?: string): HistoryEvent[] {
  return state.history.filter((e) => !filter || matchesTarget(e.address, filter));
}

/** A file named on the command line; missing or unreadable is one sentence naming it, not a bare errno. */
async function readInput(file: string, what: string, nextSteps: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new AbortError(`${what} ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, nextSteps);
  }
}

/** A history event of a state command. */
export function event(action: string, address: string, env: NodeJS.ProcessEnv | undefined, digest?: string, previous?: string): HistoryEvent {
  return { time: new Date().toISOString(), who: whoAmI(env), operation: action, action, address, ...(digest ? { digest } : {}), ...(previous ? { previous } : {}) };
}

/**
 * Change the state under the lock; `change` returns the new state (same lineage and serial).
 * `scope`: the addresses the command names; the store refuses a change to any other record.
 */
export function modifyState(opts: StateOptions, operation: string, change: (state: State, ws: Workspace) => Promise<State> | State, scope?: readonly string[]): Promise<State> {
  return locked(opts, operation, async (ws, store) => {
    const current = (await store.read()) ?? newState();
    return store.write(await change(current, ws), { scope });
  });
}

/** `state rm ADDR…`: forget resources (the registry is not touched). */
export function removeResources(opts: StateOptions, targets: string[]): Promise<State> {
  return modifyState(opts, 'state rm', (state) => {
    const gone = targets.flatMap((t) => selectAddresses(state, t));
    if (gone.length === 0) throw new AbortError(`No resource in the state matches ${targets.join(', ')}.`, 'See `mirror state list`.');
    const resources = { ...state.resources };
    const history = [...state.history];
    for (const a of gone) { history.push(event('state rm', a, opts.env, undefined, resources[a].digest)); delete resources[a]; }
    return { ...state, resources, history };
  }, targets);
}

/** The kind of record an address names. */
const kindOf = (a: ParsedAddress) => (a.tag ? 'tag' : a.platform ? 'build' : a.version ? 'index' : 'app');

/**
 * `state mv FROM TO`: rename an address within its repository. An index moves with its platform
 * builds (they are one version); a move to another app or image is refused, since the digests
 * live in the repository they were pushed to and verify would look for them elsewhere.
 */
export function moveResource(opts: StateOptions, from: string, to: string): Promise<State> {
  const f = parseAddress(from);
  const t = parseAddress(to);
  const [fromImage, toImage] = [f.image ?? f.app, t.image ?? t.app];
  if (f.app !== t.app || fromImage !== toImage) {
    throw new AbortError(`Refusing to move ${from} to ${to}: that is another ${f.app !== t.app ? 'app' : 'image'} (${f.app}/${fromImage} → ${t.app}/${toImage}), and its digests live in the ${fromImage} repository.`,
      `Record the other repository's image there instead: mirror import ${to}`);
  }
  return modifyState(opts, 'state mv', (state) => {
    const rec = state.resources[from];
    if (!rec) throw new AbortError(`${from} is not in the state.`, 'See `mirror state list`.');
    // An index carries its platform builds along: `x@1.0.0/linux/amd64` → `x@1.0.1/linux/amd64`.
    const moves: Array<[string, string]> = [[from, to]];
    if (kindOf(f) === 'index') {
      for (const [address, r] of Object.entries(state.resources)) {
        if (r.type === 'build' && r.app === rec.app && r.image === rec.image && r.version === f.version && r.platform) {
          moves.push([address, buildAddress(rec.app, rec.image, t.version as string, r.platform)]);
        }
      }
    }
    const taken = moves.find(([, dest]) => state.resources[dest]);
    if (taken) throw new AbortError(`${taken[1]} is already in the state.`, `Remove it first: mirror state rm ${taken[1]}`);
    if (kindOf(f) !== kindOf(t)) {
      throw new AbortError(`Refusing to move ${from} to ${to}: ${kindOf(f) === 'index' ? 'an' : 'a'} ${kindOf(f)} address moves only to another ${kindOf(f)} address.`, 'Use APP@VERSION → APP@VERSION, APP@VERSION/OS/ARCH → APP@VERSION/OS/ARCH, or APP:TAG → APP:TAG.');
    }
    const resources = { ...state.resources };
    const history = [...state.history];
    const now = new Date().toISOString();
    for (const [src, dest] of moves) {
      const r = resources[src];
      delete resources[src];
      const d = parseAddress(dest);
      resources[dest] = {
        ...r, ...(d.version ? { version: d.version } : {}), ...(d.platform ? { platform: d.platform } : {}), ...(d.tag ? { tag: d.tag } : {}),
        ...(r.tags && f.version && d.version ? { tags: r.tags.map((x) => (x === f.version ? (d.version as string) : x)) } : {}),
        updatedAt: now,
      };
      history.push(event('state mv', dest, opts.env, r.digest), { ...event('state mv', src, opts.env), previous: r.digest });
    }
    return { ...state, resources, history };
  }, [from, to]);
}

/** `state push FILE`: replace the state; another lineage or an older serial needs --force. */
export async function pushState(opts: StateOptions, file: string, force: boolean): Promise<State> {
  const PULLED = 'Push a file written by `mirror state pull`.';
  const read = readStateText(await readInput(file, 'State file', PULLED));
  // Not parseState: that wording is for the stored state (its backup, "will not overwrite it").
  if (!read.ok) throw new StateError(`${file} is not a mirror state: ${read.problem}.`, PULLED);
  const pushed = read.state;
  return locked(opts, 'state push', async (_ws, store) => {
    const current = await store.read();
    if (current && !force) {
      if (current.lineage !== pushed.lineage) throw new StateError(`Refusing to push ${file}: its lineage ${pushed.lineage} differs from the state's ${current.lineage}.`, 'Pass --force to replace the state anyway (a backup is kept).');
      if (pushed.serial < current.serial) throw new StateError(`Refusing to push ${file}: its serial ${pushed.serial} is older than the state's ${current.serial}.`, 'Pass --force to replace the state anyway (a backup is kept).');
    }
    const next = { ...pushed, serial: Math.max(pushed.serial, current?.serial ?? 0) + 1, history: [...pushed.history, event('state push', '*', opts.env)] };
    return store.replace(next);
  });
}

/**
 * `state merge FILE…`: fold build fragments in; a conflicting digest for one address is refused naming
 * both, and so is any address outside the build actions a fragment's job was given (and, with `plan`,
 * a fragment of another plan).
 */
export async function mergeFragments(opts: StateOptions, files: string[], plan?: Plan): Promise<{ state: State; added: string[] }> {
  const fragments: Array<{ file: string; fragment: Fragment }> = [];
  for (const file of files) {
    const text = await readInput(file, 'Fragment', 'Use the file the build job wrote with --fragment-out.');
    const fragment = parseFragment(text, path.resolve(file));
    assertFragmentScope(fragment, file, plan);
    fragments.push({ file, fragment });
  }
  const added: string[] = [];
  const state = await modifyState(opts, 'state merge', (current) => {
    const fresh = current.serial === 0 && current.history.length === 0;
    const resources = { ...current.resources };
    const from = new Map<string, string>();
    const history = [...current.history];
    for (const { file, fragment } of fragments) {
      const { lineage, id } = fragment.plan;
      // A first-run plan (no state yet) may only be folded into the state its own fragments created.
      const ours = lineage === null ? fresh || history.every((e) => e.plan === id) : lineage === current.lineage && !fresh;
      if (!ours) {
        throw new StateError(`Refusing fragment ${file}: it was built for state lineage ${lineage ?? '(none yet)'}, this state is ${fresh ? 'empty' : current.lineage} (it comes from another plan).`, 'Merge fragments of the plan made against this state, or make a new plan.');
      }
      for (const [address, rec] of Object.entries(fragment.resources)) {
        const existing = resources[address];
        if (existing && existing.digest !== rec.digest) {
          throw new StateError(`Conflicting digests for ${address}: ${existing.digest} (${from.get(address) ?? 'state'}) and ${rec.digest} (${file}).`, 'Remove the wrong one (mirror state rm) or drop that fragment.');
        }
        if (!existing) { resources[address] = rec; from.set(address, file); added.push(address); }
      }
      // The runner's own events (who built what, from which upstream commit), tagged with the plan they belong to.
      history.push(...fragment.history.filter((e) => from.get(e.address) === file).map((e) => ({ ...e, plan: id })));
    }
    return { ...current, resources, history };
  });
  return { state, added };
}
