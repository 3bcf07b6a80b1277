/** The `mirror plan` service: config → observation → pure diff. Never sees oclif. */
import type { ResolvedConfig } from '../config/model.js';
import { diff } from '../plan/diff.js';
import type { Plan } from '../plan/types.js';
import type { RequestStats } from '../providers/registry/types.js';
import type { ConditionalStats } from '../providers/upstream/http.js';
import { checkTargets } from '../plan/scope.js';
import { matchesTarget, parseAddress } from '../state/addresses.js';
import { AbortError } from '../errors.js';
import { newState } from '../state/new-state.js';
import type { State } from '../state/types.js';
import { observe, type ObserveProgress } from '../plan/observe/observe.js';
import { openWorkspace, type Workspace, type WorkspaceOptions } from './workspace.js';

/** Options of a plan run. */
export interface PlanOptions extends WorkspaceOptions {
  targets?: string[];
  refreshOnly?: boolean;
  /** `--replace ADDR`: rebuild these recorded versions from source (APP@VERSION, APP/IMAGE@VERSION). */
  replace?: string[];
  /** Upstream warnings (odd tags, failed probes) as they happen. */
  warn?: (message: string) => void;
  /** Warnings about the whole run, before it starts (a GitHub rate limit that cannot cover it). */
  notice?: (message: string) => void;
  /** Reads done so far, as they finish (plan/observe/observe.ts). */
  progress?: (p: ObserveProgress) => void;
}

/** A computed plan and what it cost. */
export interface PlanResult {
  plan: Plan;
  config: ResolvedConfig;
  stats: { registry: RequestStats; upstreamRequests: number; upstream: ConditionalStats };
}

/** Compute a plan against the real upstreams, registry and state file. */
export async function createPlan(opts: PlanOptions): Promise<PlanResult> {
  const ws = await openWorkspace(opts);
  // A bad --target is refused before the state is touched (an OCI state backend is a registry client).
  checkTargets(ws.config, opts.targets ?? []);
  // The state backend is closed once read: the plan talks to the registry and upstreams only. It is
  // read while the first upstream pages and tag listings are on their way, which need only the config.
  const stored = ws.readState().finally(() => ws.close());
  stored.catch(() => undefined); // thrown where planAgainst awaits it, or not needed (a bad --target)
  return planAgainst(ws, stored, opts);
}

/**
 * The plan of a workspace's config against its state (undefined: no state yet), read or being read.
 * `mirror apply` plans this way under its lock, so the config is imported and the state read once.
 * The caller has checked --target against the config (before touching the state).
 */
export async function planAgainst(ws: Workspace, stored: State | undefined | Promise<State | undefined>, opts: Omit<PlanOptions, 'cwd' | 'config'>): Promise<PlanResult> {
  const { config } = ws;
  const targets = opts.targets ?? [];
  const apps = targets.length > 0 ? new Set(targets.map((t) => parseAddress(t).app)) : undefined;
  const replace = opts.replace ?? [];
  // --replace is checked against the state before anything is asked; otherwise the upstream and
  // registry reads start while the state is still being read (observe waits for it where it must).
  const reading = Promise.resolve(stored).then((s) => s ?? newState());
  reading.catch(() => undefined); // observe and the diff below await it and throw its error
  if (replace.length > 0) checkReplace(replace, await reading);
  const registry = ws.openRegistry();
  let failed = false;
  try {
    const { observed, warnings, upstreamRequests, upstreamConditional } = await observe({ config, state: reading, registry, env: opts.env, warn: opts.warn, notice: opts.notice, apps, refresh: opts.refreshOnly, progress: opts.progress });
    const state = await reading;
    const plan = diff(config, state, observed, { targets, refreshOnly: opts.refreshOnly, stateExists: (await stored) !== undefined, replace });
    const outside = replace.find((r) => !plan.refreshOnly && !plan.actions.some((a) => a.type === 'merge' && a.replace && matchesTarget(a.address, r)));
    if (outside) throw new AbortError(`--replace ${outside}: that version is not in the window mirror keeps (or not in --target), so it would not be rebuilt.`, 'Replace a version the plan shows in its window.');
    if (apps) plan.apps = plan.apps.filter((a) => apps.has(a.name));
    for (const app of plan.apps) {
      const w = warnings.get(app.name);
      if (w && w.length > 0) app.warnings = w;
    }
    return { plan, config, stats: { registry: registry.stats(), upstreamRequests, upstream: upstreamConditional } };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // A failed plan does not wait for the answers still on their way (an unreadable state fails it early).
    await registry.close({ abort: failed });
  }
}

/** Every --replace names a version the state records. */
function checkReplace(replace: string[], state: State): void {
  for (const r of replace) {
    const a = parseAddress(r);
    if (!a.version || a.platform) throw new AbortError(`--replace ${r}: expected a version address (APP@VERSION or APP/IMAGE@VERSION).`, 'A version is rebuilt with all its platforms.');
    if (!Object.entries(state.resources).some(([address, rec]) => rec.type === 'index' && matchesTarget(address, r))) {
      throw new AbortError(`--replace ${r}: the state records no such version, so there is nothing to replace.`, 'See `mirror state list`; a version missing from the state is built (or imported) by a plain plan.');
    }
  }
}
