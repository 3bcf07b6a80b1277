/**
 * Source checkouts: one shallow fetch per (repository, tag) for the whole apply, copied per build
 * so per-platform patches never see each other's edits. Temp dirs are removed at the end.
 *
 * The ref is fetched as `refs/tags/<ref>` and nothing else: `git clone --branch v1.0.0` prefers a
 * branch named `v1.0.0`, which anyone who can push a branch upstream can create, and the image
 * would be labelled with the tag while built from that branch.
 */
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { AbortError, ExternalError } from '../errors.js';
import { redactUrlsIn, withoutCredentials } from '../system/redact-url.js';
import { run } from '../system/exec.js';
import { GIT_ENV } from '../system/git-env.js';
import { authenticatedGitRemote } from '../system/git-remote.js';
import { tempDir } from '../system/run-dir.js';

/** A clean checkout and the commit it resolved to. */
export interface Checkout {
  dir: string;
  commit: string;
}

/** A tag name git accepts and a refspec cannot misread (upstream tags are filtered to this set already). */
const TAG_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+/-]*$/;

/**
 * The checked-out commit must be the one the plan recorded for the tag (when the upstream said it):
 * a tag moved since the plan, or a source repository that is not the upstream, is refused.
 */
export function assertPlannedCommit(checkout: Checkout, planned: string | undefined, where: { address: string; git: string; ref: string }): void {
  if (!planned || checkout.commit.startsWith(planned.toLowerCase())) return;
  throw new AbortError(`${where.address}: tag ${where.ref} of ${withoutCredentials(where.git)} is at commit ${checkout.commit}, but the plan recorded ${planned}; refusing to build a different source than planned.`,
    'The tag moved upstream since the plan (or source.git is not the upstream repository): make a new plan and review it.');
}

/** Refuse a URL or ref git could read as an option, and a ref that is not a plain tag name. */
export function assertSourceRef(git: string, ref: string): void {
  if (git.startsWith('-') || ref.startsWith('-')) throw new AbortError(`Refusing git URL or ref starting with "-" (${withoutCredentials(git)} ${ref}).`);
  if (!TAG_NAME.test(ref) || ref.includes('..') || ref.endsWith('.lock')) {
    throw new AbortError(`Refusing source ref "${ref}" of ${withoutCredentials(git)}: not a plain tag name.`, 'source.ref names an upstream tag (e.g. v{version} or {tag}).');
  }
}

/** Clones shared by the builds of one apply. */
export class SourceCache {
  private readonly clones = new Map<string, Promise<Checkout>>();
  private readonly dirs: string[] = [];

  /** `signal`: the run's interrupt; its git processes are stopped (by pid) when it aborts, like the builds. */
  constructor(private readonly signal?: AbortSignal) {}

  /** Shallow-fetch tag `ref` of `git` once (the tag only: never a branch or commit of that name). */
  checkout(git: string, ref: string, log?: (line: string) => void): Promise<Checkout> {
    assertSourceRef(git, ref);
    const key = `${git}#${ref}`;
    let clone = this.clones.get(key);
    if (!clone) {
      clone = (async () => {
        const dir = await tempDir('mirror-src-');
        this.dirs.push(dir);
        const tagRef = `refs/tags/${ref}`;
        // Stopped with the run; a stopped fetch takes git's remote helper (the download) with it.
        const stopping = { signal: this.signal, stopDescendants: true };
        await run('git', ['init', '--quiet', dir], { env: { ...GIT_ENV }, ...stopping });
        // A token in source.git goes to git in its environment, not its command line (ps); it must
        // not reach the build log or the error either (git quotes the URL it failed on).
        const remote = await authenticatedGitRemote(git);
        const args = ['fetch', '--quiet', '--depth', '1', '--no-tags', '--', remote.url, `+${tagRef}:${tagRef}`];
        await run('git', args, {
          cwd: dir, env: { ...GIT_ENV, ...remote.env }, ...stopping, log: log && ((line) => log(redactUrlsIn(line))),
          nextSteps: `Check that ${withoutCredentials(git)} has the tag "${ref}" (source.ref in the config; a branch of that name is never used).`,
        }).catch((error: unknown) => {
          if (!(error instanceof ExternalError)) throw error;
          throw new ExternalError('git', args.map((a) => withoutCredentials(a)), redactUrlsIn(error.stderr), error.nextSteps);
        });
        // No detached-HEAD advice: in a failed build's log it reads as the cause and hides git's real error.
        await run('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', `${tagRef}^{commit}`], { cwd: dir, env: { ...GIT_ENV }, ...stopping });
        const commit = (await run('git', ['rev-parse', 'HEAD'], { cwd: dir, ...stopping })).trim();
        return { dir, commit };
      })();
      this.clones.set(key, clone);
    }
    return clone;
  }

  /**
   * A private, pristine copy of a checkout for one build (patched in place). Symlinks are copied as
   * they are: without verbatimSymlinks, cp rewrites a relative link into an absolute one pointing
   * into the shared clone, and one image's patches would then edit what the next image builds from.
   */
  async workingCopy(source: Checkout): Promise<string> {
    const dir = await tempDir('mirror-build-');
    this.dirs.push(dir);
    await cp(source.dir, dir, { recursive: true, verbatimSymlinks: true, filter: (p) => !p.includes(`${path.sep}.git${path.sep}`) && !p.endsWith(`${path.sep}.git`) });
    return dir;
  }

  /** Remove every temp dir. */
  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
