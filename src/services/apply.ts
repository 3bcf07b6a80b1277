/**
 * The `mirror apply` service: lock → plan (or a saved plan, checked fresh) → confirm → execute
 * the DAG, recording every step in state → summary. Never sees oclif.
 */
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import type { AppSpec } from '../config/model.js';
import { AbortError } from '../errors.js';
import { execute, type ApplyEvent, type ApplyOutcome } from '../apply/executor.js';
import type { ApplyContext } from '../apply/context.js';
import { StateRecorder } from '../apply/recorder.js';
import { SourceCache } from '../apply/source.js';
import { recordRefresh } from '../apply/refresh.js';
import { assertFresh, assertSameConfig } from '../apply/stale.js';
import { pruneStep } from '../apply/prune.js';
import { attestStep } from '../apply/attest.js';
import { AttestTools } from '../apply/attest-tools.js';
import { buildStep, mergeStep, tagStep } from '../apply/steps.js';
import { readPlanFile } from '../plan/planfile.js';
import type { Action, ActionType, Plan } from '../plan/types.js';
import { createBuilder } from '../providers/builder/index.js';
import type { Builder } from '../providers/builder/types.js';
import type { RequestStats } from '../providers/registry/types.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import { parseRegistryUrl } from '../providers/registry/reference.js';
import { matchesTarget } from '../state/addresses.js';
import { openStateBackend, type StateBackend } from '../state/backend.js';
import { FragmentStore, NoLocker } from '../state/fragment.js';
import { whoAmI } from '../state/lock.js';
import type { State, StateStore } from '../state/types.js';
import { newState } from '../state/new-state.js';
import { openRunDir } from '../system/run-dir.js';
import { planAgainst } from './plan.js';
import { checkPlatform, checkTargets } from '../plan/scope.js';

/** Options of an apply run. */
export interface ApplyOptions {
  cwd: string;
  config?: string;
  planFile?: string;
  targets?: string[];
  only?: ActionType[];
  platform?: string;
  /** A build runner of the CI matrix: record into this fragment file instead of the shared state (needs planFile). */
  fragmentOut?: string;
  /** Record the registry's truth (drift) in state; build nothing. */
  refreshOnly?: boolean;
  parallelism?: number;
  lockTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Show the plan and ask; resolve false to abort. Absent = approved (auto-approve or saved plan). */
  confirm?: (plan: Plan) => Promise<boolean>;
  emit: (event: ApplyEvent) => void;
  /** Called once, right before the first action runs, with the actions of this run (the live view counts them). */
  onStart?: (actions: Action[]) => void;
  warn?: (message: string) => void;
  /** Ctrl-C/SIGTERM: start nothing new, cancel running builds, record what finished, clean up. */
  signal?: AbortSignal;
}

/** How an apply ended. */
export interface ApplyResult {
  plan: Plan;
  outcome: ApplyOutcome;
  aborted?: boolean;
  /** Requests the apply steps made (the plan's own are not counted). */
  stats?: RequestStats;
  /** `--refresh-only`: addresses whose state entry was changed to match the registry. */
  refreshed?: string[];
}

/** Why an action does not run in this invocation, if it does not. */
function exclusion(action: Action, opts: ApplyOptions): string | undefined {
  if (opts.only && !opts.only.includes(action.type)) return `not in --only ${opts.only.join(',')}`;
  if (opts.platform && (action.type !== 'build' || action.platform !== opts.platform)) return `--platform ${opts.platform} runs only its builds`;
  return undefined;
}

/** Record a refresh-only plan's drift in state, after confirmation. */
async function refresh(plan: Plan, current: State | undefined, store: StateStore, opts: ApplyOptions): Promise<ApplyResult> {
  const empty = { done: [], failed: [], skipped: [] };
  if (!current || plan.drift.every((d) => d.kind === 'unknown')) return { plan, outcome: empty, refreshed: [] };
  if (opts.confirm && !(await opts.confirm(plan))) return { plan, outcome: empty, aborted: true };
  const { state, changed } = recordRefresh(current, plan.drift, whoAmI(opts.env));
  if (changed.length > 0) await store.write(state);
  return { plan, outcome: empty, refreshed: changed };
}

/** A build runner's backend: the fragment file, no lock (nothing is shared). */
function fragmentBackend(fragmentOut: string, saved: Plan | undefined, planFile: string | undefined, configHash: string): StateBackend {
  if (!saved || !planFile) throw new AbortError('--fragment-out needs a saved plan: mirror apply PLANFILE --only build --target ADDR --fragment-out FILE');
  assertSameConfig(saved, configHash, planFile);
  return { store: new FragmentStore(fragmentOut, saved), locker: new NoLocker(), close: async () => undefined };
}

/** Apply a plan. */
export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const config = await loadConfig({ cwd: opts.cwd, config: opts.config, env: opts.env });
  checkTargets(config, opts.targets ?? []);
  checkPlatform(config, opts.platform, opts.targets);
  // A saved plan is read once: a build runner's fragment and the run itself both start from it.
  const saved = opts.planFile ? await readPlanFile(opts.planFile) : undefined;
  const backend = opts.fragmentOut ? fragmentBackend(opts.fragmentOut, saved, opts.planFile, config.hash) : await openStateBackend(config, { env: opts.env });
  const { store, locker } = backend;
  const lock = await locker.acquire('apply', {
    timeoutMs: opts.lockTimeoutMs ?? 0,
    signal: opts.signal,
    onTakeover: (old) => opts.warn?.(`took over the state lock of ${old.who} (pid ${old.pid} on ${old.host}, since ${old.created}): its holder is gone`),
  }).catch(async (error: unknown) => { await backend.close(); throw error; });
  // Every temp file of the run (checkouts, build storage, the registry auth file) lives in here.
  const runDir = await openRunDir();
  const sources = new SourceCache();
  const builders = new Map<string, Promise<Builder>>();
  const registry = createRegistryBackend(config.registry, { env: opts.env, baseDir: path.dirname(config.file) });
  // The state is read at most once, on first need: the lock is held, so it cannot move meanwhile
  // (an OCI-backed state is a registry round trip per read).
  let stored: Promise<State | undefined> | undefined;
  const readState = () => (stored ??= store.read());
  try {
    let plan: Plan;
    if (saved && opts.planFile) {
      plan = saved;
      // A runner has no shared state to compare with; `state merge` checks its fragment's lineage instead.
      if (!opts.fragmentOut) assertFresh(plan, await readState(), config.hash, opts.planFile);
    } else {
      plan = (await planAgainst(config, await readState(), { targets: opts.targets, env: opts.env, refreshOnly: opts.refreshOnly, warn: opts.warn })).plan;
    }
    if (opts.refreshOnly || plan.refreshOnly) return await refresh(plan, await readState(), store, opts);
    const targets = opts.targets ?? [];
    const actions = targets.length > 0 && opts.planFile ? plan.actions.filter((a) => targets.some((t) => matchesTarget(a.address, t))) : plan.actions;
    if (actions.length === 0) return { plan, outcome: { done: [], failed: [], skipped: [] } };
    if (opts.confirm && !(await opts.confirm(plan))) return { plan, outcome: { done: [], failed: [], skipped: [] }, aborted: true };
    if (opts.signal?.aborted) return { plan, outcome: { done: [], failed: [], skipped: [], stopped: [] } };

    const state = (await readState()) ?? newState();
    const who = whoAmI(opts.env);
    const recorder = new StateRecorder(store, state, who);
    const loc = parseRegistryUrl(config.registry.url);
    const insecure = loc.kind === 'http' && config.registry.insecure ? [loc.host] : [];
    const { username, password } = config.registry;
    const credentials = loc.kind === 'http' && username && password ? { host: loc.host, username, password } : undefined;
    const ctx: ApplyContext = {
      config, plan, registry, recorder, sources, who,
      builder: (app: AppSpec) => {
        let b = builders.get(app.builder);
        // MIRROR_CACHE_DIR: buildx's layer cache kept across runs (the cron workflow restores it per app and platform).
        if (!b) { b = createBuilder(app.builder, { insecureRegistries: insecure, credentials, cacheDir: opts.env?.MIRROR_CACHE_DIR || undefined }); builders.set(app.builder, b); }
        return b;
      },
      log: (id, line) => opts.emit({ event: 'log', id, line }),
      signal: opts.signal,
    };
    opts.onStart?.(actions);
    const attestTools = new AttestTools(config, opts.env ?? process.env);
    const outcome = await execute(actions, {
      parallelism: opts.parallelism ?? 4,
      skip: (a) => exclusion(a, opts),
      satisfied: (a) => (a.type === 'build' && state.resources[a.address]?.type === 'build' ? 'built elsewhere (recorded in state)' : undefined),
      emit: opts.emit,
      signal: opts.signal,
      run: async (a) => {
        if (a.type === 'build') return buildStep(ctx, a);
        if (a.type === 'merge') return mergeStep(ctx, a);
        if (a.type === 'tag') return tagStep(ctx, a);
        if (a.type === 'prune') return pruneStep(ctx, a);
        if (a.type === 'attest') return attestStep(ctx, attestTools, a);
        throw new AbortError(`${a.type} actions are not supported by this version of mirror.`);
      },
    });
    return { plan, outcome, stats: registry.stats() };
  } finally {
    await Promise.all([...builders.values()].map(async (b) => (await b.catch(() => undefined))?.close()));
    await sources.cleanup();
    await registry.close();
    await runDir.close();
    await lock.release();
    await backend.close();
  }
}
