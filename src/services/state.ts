/**
 * State commands (Terraform parity): read, list, show, rm, mv, pull, push, merge fragments,
 * import from the registry, history. Every change happens under the lock and through the store,
 * which keeps a backup of the previous state.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/model.js';
import { AbortError, StateError } from '../errors.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import { MediaType, platformString, type Descriptor } from '../providers/registry/types.js';
import { buildAddress, indexAddress, matchesTarget, parseAddress, tagAddress } from '../state/addresses.js';
import { openStateBackend, type StateBackend } from '../state/backend.js';
import { readStateText } from '../state/format.js';
import { whoAmI } from '../state/lock.js';
import { newState } from '../state/new-state.js';
import { parseFragment, type Fragment } from '../state/fragment.js';
import type { HistoryEvent, State, StateStore } from '../state/types.js';

/** Where a command finds its config and state. */
export interface StateOptions {
  cwd: string;
  config?: string;
  env?: NodeJS.ProcessEnv;
  lockTimeoutMs?: number;
}

/** Run `fn` with the config and the state backend of the working directory, closing it after. */
export async function withState<T>(opts: StateOptions, fn: (config: ResolvedConfig, backend: StateBackend) => Promise<T>): Promise<T> {
  const config = await loadConfig({ cwd: opts.cwd, config: opts.config, env: opts.env });
  const backend = await openStateBackend(config, { env: opts.env });
  try {
    return await fn(config, backend);
  } finally {
    await backend.close();
  }
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
async function locked<T>(opts: StateOptions, operation: string, fn: (config: ResolvedConfig, store: StateStore) => Promise<T>): Promise<T> {
  return withState(opts, async (config, { store, locker }) => {
    const lock = await locker.acquire(operation, { timeoutMs: opts.lockTimeoutMs ?? 0 });
    try {
      return await fn(config, store);
    } finally {
      await lock.release();
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

function event(action: string, address: string, env: NodeJS.ProcessEnv | undefined, digest?: string, previous?: string): HistoryEvent {
  return { time: new Date().toISOString(), who: whoAmI(env), operation: action, action, address, ...(digest ? { digest } : {}), ...(previous ? { previous } : {}) };
}

/** Change the state under the lock; `change` returns the new state (same lineage and serial). */
export function modifyState(opts: StateOptions, operation: string, change: (state: State, config: ResolvedConfig) => Promise<State> | State): Promise<State> {
  return locked(opts, operation, async (config, store) => {
    const current = (await store.read()) ?? newState();
    return store.write(await change(current, config));
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
  });
}

/** `state mv FROM TO`: rename one address. */
export function moveResource(opts: StateOptions, from: string, to: string): Promise<State> {
  const target = parseAddress(to);
  return modifyState(opts, 'state mv', (state) => {
    const rec = state.resources[from];
    if (!rec) throw new AbortError(`${from} is not in the state.`, 'See `mirror state list`.');
    if (state.resources[to]) throw new AbortError(`${to} is already in the state.`, `Remove it first: mirror state rm ${to}`);
    const resources = { ...state.resources };
    delete resources[from];
    resources[to] = { ...rec, app: target.app, image: target.image ?? target.app, ...(target.version ? { version: target.version } : {}), ...(target.platform ? { platform: target.platform } : {}), ...(target.tag ? { tag: target.tag } : {}), updatedAt: new Date().toISOString() };
    return { ...state, resources, history: [...state.history, event('state mv', to, opts.env, rec.digest), { ...event('state mv', from, opts.env), previous: rec.digest }] };
  });
}

/** `state push FILE`: replace the state; another lineage or an older serial needs --force. */
export async function pushState(opts: StateOptions, file: string, force: boolean): Promise<State> {
  const PULLED = 'Push a file written by `mirror state pull`.';
  const read = readStateText(await readInput(file, 'State file', PULLED));
  // Not parseState: that wording is for the stored state (its backup, "will not overwrite it").
  if (!read.ok) throw new StateError(`${file} is not a mirror state: ${read.problem}.`, PULLED);
  const pushed = read.state;
  return locked(opts, 'state push', async (_config, store) => {
    const current = await store.read();
    if (current && !force) {
      if (current.lineage !== pushed.lineage) throw new StateError(`Refusing to push ${file}: its lineage ${pushed.lineage} differs from the state's ${current.lineage}.`, 'Pass --force to replace the state anyway (a backup is kept).');
      if (pushed.serial < current.serial) throw new StateError(`Refusing to push ${file}: its serial ${pushed.serial} is older than the state's ${current.serial}.`, 'Pass --force to replace the state anyway (a backup is kept).');
    }
    const next = { ...pushed, serial: Math.max(pushed.serial, current?.serial ?? 0) + 1, history: [...pushed.history, event('state push', '*', opts.env)] };
    return store.replace(next);
  });
}

/** `state merge FILE…`: fold build fragments in; a conflicting digest for one address is refused naming both. */
export async function mergeFragments(opts: StateOptions, files: string[]): Promise<{ state: State; added: string[] }> {
  const fragments: Array<{ file: string; fragment: Fragment }> = [];
  for (const file of files) {
    const text = await readInput(file, 'Fragment', 'Use the file the build job wrote with --fragment-out.');
    fragments.push({ file, fragment: parseFragment(text, path.resolve(file)) });
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


/** `import ADDR`: adopt what the registry holds (an index with its platforms, a floating tag, or a whole app). */
export async function importAddress(opts: StateOptions, address: string): Promise<string[]> {
  const target = parseAddress(address);
  const imported: string[] = [];
  await modifyState(opts, 'import', async (state, config) => {
    const app = config.apps.find((a) => a.name === target.app);
    if (!app) throw new AbortError(`App "${target.app}" is not in the config.`);
    const registry = createRegistryBackend(config.registry, { env: opts.env, baseDir: path.dirname(config.file) });
    const resources = { ...state.resources };
    const history = [...state.history];
    const now = new Date().toISOString();
    try {
      const images = app.images.filter((i) => !target.image || i.name === target.image);
      for (const image of images) {
        let refs: string[];
        if (target.tag) refs = [target.tag];
        else if (target.version) refs = [target.version];
        else refs = await registry.listTags(image.name);
        for (const ref of refs) {
          const manifest = await registry.getManifest(image.name, ref);
          const digest = manifest.descriptor.digest;
          if (semver.valid(ref) && !target.tag) {
            const body = JSON.parse(Buffer.from(manifest.bytes).toString()) as { mediaType?: string; manifests?: Descriptor[] };
            if (manifest.descriptor.mediaType !== MediaType.OciIndex && manifest.descriptor.mediaType !== MediaType.DockerManifestList) continue;
            const platforms = (body.manifests ?? []).map((m) => ({ m, p: platformString(m) })).filter(({ p }) => p && app.platforms.includes(p));
            for (const { m, p } of platforms) {
              const a = buildAddress(app.name, image.name, ref, p as string);
              resources[a] = { type: 'build', app: app.name, image: image.name, version: ref, platform: p, digest: m.digest, mediaType: m.mediaType, size: m.size, createdAt: now, updatedAt: now };
              history.push(event('import', a, opts.env, m.digest));
              imported.push(a);
            }
            const a = indexAddress(app.name, image.name, ref);
            resources[a] = { type: 'index', app: app.name, image: image.name, version: ref, digest, mediaType: manifest.descriptor.mediaType, size: manifest.bytes.length, platforms: platforms.map(({ p }) => p as string), tags: [ref], createdAt: now, updatedAt: now };
            history.push(event('import', a, opts.env, digest));
            imported.push(a);
          } else if (!semver.valid(ref)) {
            const version = Object.values(resources).find((r) => r.type === 'index' && r.image === image.name && r.digest === digest)?.version;
            const a = tagAddress(app.name, image.name, ref);
            resources[a] = { type: 'tag', app: app.name, image: image.name, tag: ref, ...(version ? { version } : {}), digest, mediaType: manifest.descriptor.mediaType, createdAt: now, updatedAt: now };
            history.push(event('import', a, opts.env, digest));
            imported.push(a);
          }
        }
      }
    } finally {
      await registry.close();
    }
    if (imported.length === 0) throw new AbortError(`Nothing to import for ${address}: the registry holds no matching index or tag.`);
    return { ...state, resources, history };
  });
  return imported;
}
