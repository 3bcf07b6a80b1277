/**
 * Source checkouts: one shallow clone per (repository, ref) for the whole apply, copied per build
 * so per-platform patches never see each other's edits. Temp dirs are removed at the end.
 */
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { AbortError } from '../errors.js';
import { run } from '../system/exec.js';
import { GIT_ENV } from '../system/git-env.js';
import { tempDir } from '../system/run-dir.js';

/** A clean checkout and the commit it resolved to. */
export interface Checkout {
  dir: string;
  commit: string;
}

/** Clones shared by the builds of one apply. */
export class SourceCache {
  private readonly clones = new Map<string, Promise<Checkout>>();
  private readonly dirs: string[] = [];

  /** Shallow-clone `git` at `ref` once. */
  checkout(git: string, ref: string, log?: (line: string) => void): Promise<Checkout> {
    if (git.startsWith('-') || ref.startsWith('-')) throw new AbortError(`Refusing git URL or ref starting with "-" (${git} ${ref}).`);
    const key = `${git}#${ref}`;
    let clone = this.clones.get(key);
    if (!clone) {
      clone = (async () => {
        const dir = await tempDir('mirror-src-');
        this.dirs.push(dir);
        await run('git', ['clone', '--quiet', '--depth', '1', '--branch', ref, '--', git, dir], {
          env: { ...GIT_ENV }, log,
          nextSteps: `Check that ${git} has a tag or branch "${ref}" (source.ref in the config).`,
        });
        const commit = (await run('git', ['-C', dir, 'rev-parse', 'HEAD'])).trim();
        return { dir, commit };
      })();
      this.clones.set(key, clone);
    }
    return clone;
  }

  /** A private copy of a checkout for one build (patched in place). */
  async workingCopy(source: Checkout): Promise<string> {
    const dir = await tempDir('mirror-build-');
    this.dirs.push(dir);
    await cp(source.dir, dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}.git${path.sep}`) && !p.endsWith(`${path.sep}.git`) });
    return dir;
  }

  /** Remove every temp dir. */
  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
