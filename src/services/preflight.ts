/**
 * `mirror plan --preflight` (SPEC §3): for every version the plan builds, check what would make
 * its build fail before it starts — the source tag exists (`git ls-remote`), the patches apply to
 * a shallow checkout of it (the apply's own SourceCache and applyPatches, so preflight and apply
 * cannot disagree), and the `requires` and build-arg URLs answer. Problems are returned as data;
 * the plan renderers draw them as `!` rows.
 */
import pLimit from 'p-limit';
import type { ResolvedConfig } from '../config/model.js';
import { renderTemplate, versionVars, type TemplateVars } from '../config/template.js';
import { applyPatches, renderPatches } from '../apply/patches.js';
import { assertSourceRef, SourceCache } from '../apply/source.js';
import type { Plan, PreflightProblem } from '../plan/types.js';
import { probe as headProbe } from '../providers/upstream/http.js';
import { indexAddress } from '../state/addresses.js';
import { run } from '../system/exec.js';
import { GIT_ENV } from '../system/git-env.js';
import { authenticatedGitRemote } from '../system/git-remote.js';
import { openRunDir } from '../system/run-dir.js';
import { redactUrlsIn, withoutCredentials } from '../system/redact-url.js';

/** Options of a preflight run (`probe` is replaceable for unit tests). */
export interface PreflightOptions {
  probe?: (url: string) => Promise<{ ok: boolean; status: number | string }>;
  /** Versions checked at once (each may clone). */
  concurrency?: number;
}

const message = (error: unknown) => redactUrlsIn(error instanceof Error ? error.message : String(error));

/** `{image:NAME}` resolves at build time to a digest that does not exist yet; preflight only needs a well-formed stand-in. */
function preflightVars(config: ResolvedConfig, dependsOn: string[], version: string, tag: string, platform: string): TemplateVars {
  const vars = versionVars(version, tag, platform, config.registry.url);
  vars.images = Object.fromEntries(dependsOn.map((d) => [d, `${config.registry.url}/${d}@sha256:${'0'.repeat(64)}`]));
  return vars;
}

/** Whether `refs/tags/<ref>` exists on `git` (one ls-remote, no clone). */
async function tagExists(git: string, ref: string, signal: AbortSignal): Promise<boolean> {
  assertSourceRef(git, ref);
  const remote = await authenticatedGitRemote(git);
  const out = await run('git', ['ls-remote', '--', remote.url, `refs/tags/${ref}`], { env: { ...GIT_ENV, ...remote.env }, signal, stopDescendants: true });
  return out.trim() !== '';
}

/** Check every version `plan` builds; resolves with the problems found (none: all clear). */
export async function preflight(config: ResolvedConfig, plan: Plan, opts: PreflightOptions = {}): Promise<PreflightProblem[]> {
  const probe = opts.probe ?? headProbe;
  // One check per version and image, over the platforms the plan builds for it.
  const versions = new Map<string, { app: string; image: string; version: string; platforms: string[] }>();
  for (const a of plan.actions) {
    if (a.type !== 'build') continue;
    const key = indexAddress(a.app, a.image, a.version);
    const entry = versions.get(key) ?? { app: a.app, image: a.image, version: a.version, platforms: [] };
    entry.platforms.push(a.platform);
    versions.set(key, entry);
  }
  // Clones go into a run dir: removed on every exit path, Ctrl-C included (system/run-dir.ts).
  const runDir = await openRunDir();
  // The first check that throws stops the others (their git processes included) before the run
  // dir goes: a sibling still cloning, or one queued behind the limit, would otherwise clone
  // after the cleanup, into the system temp dir, and leave it there.
  const stop = new AbortController();
  const sources = new SourceCache(stop.signal);
  const probes = new Map<string, Promise<{ ok: boolean; status: number | string }>>();
  const limit = pLimit(opts.concurrency ?? 4);
  const problems: PreflightProblem[] = [];
  // One version's checks; problems are data, anything thrown stops the whole preflight.
  const check = async (address: string, v: { app: string; image: string; version: string; platforms: string[] }) => {
    const app = config.apps.find((x) => x.name === v.app);
    const image = app?.images.find((i) => i.name === v.image);
    const tag = plan.apps.find((x) => x.name === v.app)?.tags[v.version];
    if (!app || !image || !tag) return;
    const where = `apps.${app.name}${app.images.length > 1 ? `.images.${image.name}` : ''}`;
    const add = (check: PreflightProblem['check'], reason: string) => problems.push({ address, check, reason });
    const urls = new Set<string>();
    // Per source ref, the distinct rendered patch sets (platforms often render the same ones).
    const checkouts = new Map<string, Map<string, ReturnType<typeof renderPatches>>>();
    for (const platform of v.platforms) {
      const vars = preflightVars(config, image.dependsOn, v.version, tag, platform);
      const render = (t: string) => renderTemplate(t, vars);
      for (const r of app.requires) urls.add(render(r));
      for (const value of Object.values(image.buildArgs).map(render)) if (/^https?:\/\/\S+$/.test(value)) urls.add(value);
      const ref = render(image.source.ref);
      const patches = renderPatches(image.patches, render);
      const sets = checkouts.get(ref) ?? new Map();
      sets.set(JSON.stringify(patches), patches);
      checkouts.set(ref, sets);
    }
    for (const [ref, patchSets] of checkouts) {
      let exists: boolean;
      try {
        exists = await tagExists(image.source.git, ref, stop.signal);
      } catch (error) {
        add('ref', `source ${withoutCredentials(image.source.git)}: ${message(error)}`);
        continue;
      }
      if (!exists) { add('ref', `tag ${ref} does not exist in ${withoutCredentials(image.source.git)}`); continue; }
      if (image.patches.length === 0) continue;
      try {
        const checkout = await sources.checkout(image.source.git, ref);
        for (const set of patchSets.values()) await applyPatches(await sources.workingCopy(checkout), set, image.dockerfile, where);
      } catch (error) {
        add('patch', message(error));
      }
    }
    for (const url of urls) {
      let answer = probes.get(url);
      if (!answer) { answer = probe(url); probes.set(url, answer); }
      const r = await answer;
      if (!r.ok) add('url', `${withoutCredentials(url)} answered ${r.status}`);
    }
  };
  try {
    // Aborted inside the limit, so a check queued behind a failed one sees it before it starts.
    await Promise.all([...versions].map(([address, v]) => limit(() => (stop.signal.aborted ? undefined
      : check(address, v).catch((error: unknown) => { if (!stop.signal.aborted) stop.abort(error); })))));
    if (stop.signal.aborted) throw stop.signal.reason;
  } finally {
    await sources.cleanup();
    await runDir.close();
  }
  return problems.sort((a, b) => a.address.localeCompare(b.address) || a.check.localeCompare(b.check));
}
