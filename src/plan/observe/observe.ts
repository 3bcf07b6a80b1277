/**
 * Gather what the diff needs, with the fewest requests: one tag listing per repository, then HEADs
 * only where the listing cannot answer (floating tags and their targets, versions recorded in
 * state for drift, recorded build digests of versions whose index is missing: observe-image.ts).
 * The old pipeline HEADed every version; a listing already says which are absent.
 */
import path from 'node:path';
import type { AppSpec, ResolvedConfig } from '../../config/model.js';
import { emptyRepository, type Observed, type ObservedRepository } from '../observed.js';
import { recordedByImage, recordedOf } from '../recorded.js';
import type { RegistryBackend } from '../../providers/registry/types.js';
import type { ConditionalStats } from '../../providers/upstream/http.js';
import { answerCacheDir, budgetShortfall, createUpstreamSource, fileAnswerCache, githubBudget, type UpstreamContext } from '../../providers/upstream/index.js';
import type { WindowVersion } from '../../providers/upstream/types.js';
import { resolveWindow } from '../window.js';
import { observeRetention } from './observe-retention.js';
import { observeAttestations } from './observe-attestations.js';
import { observeUntrackedImage } from './observe-untracked.js';
import { learnTagDigest, tagsWithoutDigest } from './tag-digests.js';
import { observeImage, startFloatingHeads, startRecordedHeads } from './observe-image.js';
import type { State } from '../../state/types.js';
import { githubApiBase } from '../../system/github-api.js';

/** Inputs of an observation. */
export interface ObserveOptions {
  config: ResolvedConfig;
  /**
   * The state, or its read under way: the upstream pages and tag listings go out first (they need
   * only the config), and each app's registry rounds wait for it. A failed read is the error thrown.
   */
  state: State | Promise<State>;
  registry: RegistryBackend;
  env?: NodeJS.ProcessEnv;
  /** Called with each upstream warning (odd tags skipped, probes failed). */
  warn?: (message: string) => void;
  /** Called, as soon as it is known (beside the first upstream requests), with warnings about the whole run (a rate limit that cannot cover it). */
  notice?: (message: string) => void;
  /** Only these apps (from --target); undefined = all. */
  apps?: Set<string>;
  /** `--refresh-only`: also HEAD every tag the window does not explain (recorded old versions, unknown tags). */
  refresh?: boolean;
  /** Called as reads finish (the terminal's progress line, CI's line per app). */
  progress?: (p: ObserveProgress) => void;
}

/** How far the reads are: upstream windows and registry listings done of all, and the app whose reads just ended. */
export interface ObserveProgress {
  apps: number;
  upstreamDone: number;
  repositories: number;
  registryDone: number;
  appsDone: number;
  finished?: string;
}

/** Result of an observation. */
export interface Observation {
  observed: Observed;
  warnings: Map<string, string[]>;
  upstreamRequests: number;
  /** Upstream API answers in full (200) and not modified (304, the cached answer reused). */
  upstreamConditional: ConditionalStats;
}

/** An app's window of upstream versions (newest first), as the plan sees it. */
export function resolveAppWindow(config: ResolvedConfig, app: AppSpec, env: NodeJS.ProcessEnv | undefined, warn: (message: string) => void, ctx: UpstreamContext = {}) {
  return resolveWindow({
    app: app.name,
    source: createUpstreamSource(app.name, app.upstream, { ...ctx, env }),
    maxVersions: app.maxVersions,
    tagPattern: app.upstream.tagPattern,
    includePrereleases: app.upstream.includePrereleases,
    versions: app.upstream.versions,
    requires: app.requires,
    platforms: app.platforms,
    registry: config.registry.url,
    warn,
  });
}

/** Ask the upstreams and the registry what exists. */
export async function observe(opts: ObserveOptions): Promise<Observation> {
  const { config, registry } = opts;
  const reading = Promise.resolve(opts.state);
  const grouped = reading.then(recordedByImage); // once, for all images
  grouped.catch(() => undefined); // awaited below
  const apps = config.apps.filter((a) => !opts.apps || opts.apps.has(a.name));
  const warnings = new Map<string, string[]>();
  let upstreamRequests = 0;
  const env = opts.env ?? process.env;
  const upstream: UpstreamContext = {
    cache: fileAnswerCache(answerCacheDir(env, path.dirname(config.file))), stats: { fresh: 0, notModified: 0 },
  };
  const windows = new Map<string, WindowVersion[]>();
  const repos = new Map<string, ObservedRepository>();
  let appsDone = 0;
  // Set once the observation failed: the apps' reads still on their way say nothing more (no
  // progress line redrawn, no warning printed, after the error).
  let ended = false;
  const tick = (finished?: string) => {
    if (ended) return;
    opts.progress?.({ apps: apps.length, upstreamDone: windows.size, repositories: apps.reduce((n, a) => n + a.images.length, 0), registryDone: repos.size, appsDone, finished });
  };

  // Every app at once: its window and its tag listings in parallel, then its images' HEAD rounds
  // as soon as both are in. The connection pools (system/pools.ts) are the only queue.
  // The budget read runs beside the first pages rather than before them (one round trip less on
  // every plan): it warns as soon as it is known, and waiting would not have saved a request.
  const budgets = checkGithubBudgets(apps, env, (m) => { if (!ended) opts.notice?.(m); });
  const windowOf = async (app: AppSpec) => {
    const appWarnings: string[] = [];
    const resolved = await resolveAppWindow(config, app, opts.env, (m) => { appWarnings.push(m); if (!ended) opts.warn?.(`${app.name}: ${m}`); }, upstream);
    upstreamRequests += resolved.requests;
    warnings.set(app.name, appWarnings);
    windows.set(app.name, resolved.versions);
    tick();
    return resolved.versions;
  };
  const listingOf = async (image: string) => {
    const repo = emptyRepository();
    repo.tags = new Set(await registry.listTags(image));
    repos.set(image, repo);
    tick();
    return repo;
  };
  try {
    // The state's read is one of the tasks: a state that cannot be read fails the plan as soon as it
    // is known, not when an app's first answer comes back (answers still on their way are dropped).
    await Promise.all([reading, budgets, ...apps.map(async (app) => {
      const listed = Promise.all(app.images.map(async (image) => {
        const repo = await listingOf(image.name);
        startFloatingHeads(app, image.name, repo, registry);
        startRecordedHeads(app, image.name, repo, registry, recordedOf(await grouped, app.name, image.name));
        return repo;
      }));
      const [window, listings] = await Promise.all([windowOf(app), listed]);
      const [state, recorded] = await Promise.all([reading, grouped]);
      await Promise.all(app.images.map(async (image, i) => {
        const round = { app, image: image.name, window, repo: listings[i], state, registry, recorded: recordedOf(recorded, app.name, image.name) };
        // Round 0: window versions the registry holds and the state does not (adopt or rebuild); a GET each.
        if (!opts.refresh) await observeUntrackedImage(round);
        await observeImage(round);
      }));
      appsDone += 1;
      tick(app.name);
    })]);
  } catch (error) {
    ended = true;
    await reading; // a state that could not be read is the error to report, whatever else failed meanwhile
    throw error;
  } finally {
    await upstream.cache?.flush(); // what was learnt is kept even when one app failed
  }
  const state = await reading;
  const images = apps.flatMap((app) => app.images.map((image) => ({ app, image: image.name })));

  // Round 2b: attestations of recorded, undrifted window versions (refresh-only proposes nothing).
  if (!opts.refresh) await observeAttestations({ apps, state, registry, windows, repos });

  // Round 3 (retention policies only; refresh-only proposes nothing): every tag's digest and what tagged manifests reference.
  if (!opts.refresh) await observeRetention({ apps, state, registry, windows, repos });

  // Refresh: a digest for every remaining tag, so drift beyond the window can be reported exactly.
  if (opts.refresh) {
    await Promise.all(images.flatMap(({ image }) => {
      const repo = repos.get(image) ?? emptyRepository();
      return tagsWithoutDigest(repo).map((tag) => learnTagDigest(registry, image, repo, tag));
    }));
  }

  return { observed: { windows, registry: repos }, warnings, upstreamRequests, upstreamConditional: upstream.stats ?? { fresh: 0, notModified: 0 } };
}

/** Ask each GitHub API host for its remaining budget (free) and say so when the plan cannot fit in it. */
async function checkGithubBudgets(apps: AppSpec[], env: NodeJS.ProcessEnv, notice?: (message: string) => void): Promise<void> {
  const hosts = new Map<string, { apiUrl?: string; apps: number }>();
  for (const app of apps) {
    if (app.upstream.type !== 'github-releases') continue;
    const key = githubApiBase(app.upstream.apiUrl); // one budget read per API, however its URL is spelt
    hosts.set(key, { apiUrl: app.upstream.apiUrl, apps: (hosts.get(key)?.apps ?? 0) + 1 });
  }
  const token = env.GITHUB_TOKEN || undefined;
  await Promise.all([...hosts].map(async ([key, { apiUrl, apps: needed }]) => {
    const budget = await githubBudget(apiUrl, token);
    const message = budget && budgetShortfall(new URL(key).host, budget, needed, token !== undefined);
    if (message) notice?.(message);
  }));
}
