/**
 * The `mirror apply` service: lock → plan (or a saved plan, checked fresh) → confirm → execute
 * the DAG, recording every step in state → summary. Never sees oclif.
 */
import type { AppSpec } from '../config/model.js';
import { AbortError } from '../errors.js';
import { execute, type ApplyEvent, type ApplyOutcome } from '../apply/executor.js';
import type { ApplyContext } from '../apply/context.js';
import { StateRecorder } from '../apply/recorder.js';
import { SourceCache } from '../apply/source.js';
import { recordRefresh } from '../apply/refresh.js';
import { assertFresh, assertSameConfig } from '../apply/stale.js';
import { AttestTools } from '../apply/attest-tools.js';
import { runStep } from '../apply/step-table.js';
import { readPlanFile } from '../plan/planfile.js';
import type { Action, ActionType, Plan } from '../plan/types.js';
import { createBuilder, unconfinedWarning } from '../providers/builder/index.js';
import type { Builder } from '../providers/builder/types.js';
import type { RequestStats } from '../providers/registry/types.js';
import { matchesTarget } from '../state/addresses.js';
import type { StateBackend } from '../state/backend.js';
import { FragmentStore, NoLocker } from '../state/fragment.js';
import { redactUrlsIn } from '../system/redact-url.js';
import { whoAmI } from '../system/who-am-i.js';
import type { State, StateStore } from '../state/types.js';
import { newState } from '../state/new-state.js';
import { openRunDir, type RunDir } from '../system/run-dir.js';
import { planAgainst, type PlanOptions } from './plan.js';
import { openWorkspace, type WorkspaceOptions } from './workspace.js';
import { checkPlatform, checkTargets } from '../plan/scope.js';

/** Options of an apply run. */
export interface ApplyOptions extends WorkspaceOptions {
  planFile?: string;
  targets?: string[];
  only?: ActionType[];
  platform?: string;
  /** A build runner of the CI matrix: record into this fragment file instead of the shared state (needs planFile). */
  fragmentOut?: string;
  /** Record the registry's truth (drift) in state; build nothing. */
  refreshOnly?: boolean;
  /** `--replace ADDR`: rebuild these recorded versions from source. */
  replace?: string[];
  parallelism?: number;
  lockTimeoutMs?: number;
  /** Show the plan and ask; resolve false to abort. Absent = approved (auto-approve or saved plan). */
  confirm?: (plan: Plan) => Promise<boolean>;
  emit: (event: ApplyEvent) => void;
  /** Called once, right before the first action runs, with the actions of this run (the live view counts them). */
  onStart?: (actions: Action[]) => void;
  warn?: (message: string) => void;
  /** The plan's reads as they finish (progress line on a terminal, a line per app in CI). */
  progress?: PlanOptions['progress'];
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
function exclusion(action: Action, opts: Pick<ApplyOptions, 'only' | 'platform'>): string | undefined {
  if (opts.only && !opts.only.includes(action.type)) return `not in --only ${opts.only.join(',')}`;
  if (opts.platform && (action.type !== 'build' || action.platform !== opts.platform)) return `--platform ${opts.platform} runs only its builds`;
  return undefined;
}

/**
 * What a run may change in the state (SPEC §5): with --target, the targets and the addresses of
 * the actions it runs (a target's dependencies, such as Outline's base image builds); without,
 * everything. The store refuses any other change.
 */
function writeScope(targets: string[], actions: Action[]): string[] | undefined {
  return targets.length === 0 ? undefined : [...targets, ...actions.map((a) => a.address)];
}

/** Record a refresh-only plan's drift in state, after confirmation. */
async function refresh(plan: Plan, current: State | undefined, store: StateStore, opts: ApplyOptions): Promise<ApplyResult> {
  const empty = { done: [], failed: [], skipped: [] };
  if (!current || plan.drift.every((d) => d.kind === 'unknown')) return { plan, outcome: empty, refreshed: [] };
  if (opts.confirm && !(await opts.confirm(plan))) return { plan, outcome: empty, aborted: true };
  const { state, changed } = recordRefresh(current, plan.drift, whoAmI(opts.env));
  if (changed.length > 0) await store.write(state, { scope: writeScope(opts.targets ?? [], []) });
  return { plan, outcome: empty, refreshed: changed };
}

/** The build actions a job runs: the plan's builds under its --target, --only and --platform (what its fragment may record). */
export function jobActions(plan: Plan, opts: Pick<ApplyOptions, 'targets' | 'only' | 'platform'>): string[] {
  const targets = opts.targets ?? [];
  return plan.actions
    .filter((a) => a.type === 'build' && (targets.length === 0 || targets.some((t) => matchesTarget(a.address, t))) && exclusion(a, opts) === undefined)
    .map((a) => a.address);
}

/** A build runner's backend: the fragment file, bound to the job's build actions; no lock (nothing is shared). */
function fragmentBackend(opts: ApplyOptions, saved: Plan | undefined, configHash: string): StateBackend {
  if (!saved || !opts.planFile || !opts.fragmentOut) throw new AbortError('--fragment-out needs a saved plan: mirror apply PLANFILE --only build --target ADDR --fragment-out FILE');
  assertSameConfig(saved, configHash, opts.planFile);
  return { store: new FragmentStore(opts.fragmentOut, saved, jobActions(saved, opts)), locker: new NoLocker(), close: async () => undefined };
}

/** Apply a plan. */
export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const ws = await openWorkspace(opts);
  const { config } = ws;
  checkTargets(config, opts.targets ?? []);
  checkPlatform(config, opts.platform, opts.targets);
  // A saved plan is read once: a build runner's fragment and the run itself both start from it.
  const saved = opts.planFile ? await readPlanFile(opts.planFile) : undefined;
  const backend = opts.fragmentOut ? fragmentBackend(opts, saved, config.hash) : await ws.state();
  const { store, locker } = backend;
  const lock = await locker.acquire('apply', {
    timeoutMs: opts.lockTimeoutMs ?? 0,
    signal: opts.signal,
    onTakeover: (old) => opts.warn?.(`took over the state lock of ${old.who} (pid ${old.pid} on ${old.host}, since ${old.created}): its holder is gone`),
    onWait: (holder) => opts.warn?.(`waiting up to ${Math.round((opts.lockTimeoutMs ?? 0) / 1000)} s for the state lock held by ${holder.who} (pid ${holder.pid} on ${holder.host}, ${holder.operation}, since ${holder.created})`),
  }).catch(async (error: unknown) => { await ws.close(); throw error; });
  const sources = new SourceCache(opts.signal);
  const builders = new Map<string, Promise<Builder>>();
  // Opened inside the try: a failure to make them (a full or unwritable TMPDIR) still releases the lock.
  let runDir: RunDir | undefined;
  let registry: ReturnType<typeof ws.openRegistry> | undefined;
  // The state is read at most once, on first need: the lock is held, so it cannot move meanwhile
  // (an OCI-backed state is a registry round trip per read).
  let stored: Promise<State | undefined> | undefined;
  const readState = () => (stored ??= store.read());
  try {
    // Every temp file of the run (checkouts, build storage, the registry auth file) lives in here.
    runDir = await openRunDir();
    registry = ws.openRegistry();
    let plan: Plan;
    if (saved && opts.planFile) {
      if (opts.replace?.length) throw new AbortError(`--replace is decided when planning: ${opts.planFile} is applied exactly as saved.`, `Make the plan with it: mirror plan --replace ${opts.replace[0]} --out ${opts.planFile}`);
      plan = saved;
      // A runner has no shared state to compare with; `state merge` checks its fragment's lineage instead.
      if (!opts.fragmentOut) assertFresh(plan, await readState(), config.hash, opts.planFile);
    } else {
      plan = (await planAgainst(ws, await readState(), { targets: opts.targets, env: opts.env, refreshOnly: opts.refreshOnly, replace: opts.replace, warn: opts.warn, notice: opts.warn, progress: opts.progress })).plan;
    }
    if (opts.refreshOnly || plan.refreshOnly) return await refresh(plan, await readState(), store, opts);
    const targets = opts.targets ?? [];
    const actions = targets.length > 0 && opts.planFile ? plan.actions.filter((a) => targets.some((t) => matchesTarget(a.address, t))) : plan.actions;
    if (actions.length === 0) return { plan, outcome: { done: [], failed: [], skipped: [] } };
    if (opts.confirm && !(await opts.confirm(plan))) return { plan, outcome: { done: [], failed: [], skipped: [] }, aborted: true };
    if (opts.signal?.aborted) return { plan, outcome: { done: [], failed: [], skipped: [], stopped: [] } };

    const state = (await readState()) ?? newState();
    const who = whoAmI(opts.env);
    const recorder = new StateRecorder(store, state, who, writeScope(targets, actions));
    const ctx: ApplyContext = {
      config, plan, registry, recorder, sources, who,
      builder: (app: AppSpec) => {
        const key = `${app.builder}/${app.isolation}`;
        let b = builders.get(key);
        if (!b) {
          if (app.isolation === 'chroot') opts.warn?.(unconfinedWarning(app.name));
          // MIRROR_CACHE_DIR: buildx's layer cache kept across runs (the cron workflow restores it per app and platform).
          b = createBuilder(app.builder, { insecureRegistries: ws.access.insecureHosts, credentials: ws.access.credentials, isolation: app.isolation, cacheDir: opts.env?.MIRROR_CACHE_DIR || undefined });
          builders.set(key, b);
        }
        return b;
      },
      // Build output quotes URLs (git remotes, downloads); the log shows them without credentials.
      log: (id, line) => opts.emit({ event: 'log', id, line: redactUrlsIn(line) }),
      signal: opts.signal,
    };
    opts.onStart?.(actions);
    const attestTools = new AttestTools(config, opts.env ?? process.env, opts.warn);
    const outcome = await execute(actions, {
      parallelism: opts.parallelism ?? 4,
      skip: (a) => exclusion(a, opts),
      satisfied: (a) => (a.type === 'build' && !a.replace && state.resources[a.address]?.type === 'build' ? 'built elsewhere (recorded in state)' : undefined),
      emit: opts.emit,
      signal: opts.signal,
      run: (a) => runStep(ctx, attestTools, a),
    });
    return { plan, outcome, stats: registry.stats() };
  } finally {
    // Best effort, in order, each on its own: a build stopped by Ctrl-C may still be writing in its
    // storage, and a cleanup that throws must neither hide the run's result nor keep the lock
    // (what is left in the run dir is swept by the next run: its owner is gone).
    const step = (what: string, work: () => Promise<unknown> | undefined) => Promise.resolve().then(work)
      .catch((error: unknown) => opts.warn?.(`cleanup (${what}): ${error instanceof Error ? error.message : String(error)}`));
    await step('builders', () => Promise.all([...builders.values()].map(async (b) => (await b.catch(() => undefined))?.close())));
    await step('sources', () => sources.cleanup());
    await step('registry client', () => registry?.close());
    await step('run dir', () => runDir?.close());
    try {
      await lock.release();
    } finally {
      await ws.close();
    }
  }
}
