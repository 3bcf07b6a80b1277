/**
 * Paths from the config and from upstream (context, dockerfile, patch files) resolved the way the
 * kernel will: with every symlink followed. Upstream commits the symlinks, so a path whose text
 * stays in the checkout (`conf.txt`, `ctx`) may still land on `/etc/…` or `~/.ssh`; only the
 * resolved path decides. Used before a patch writes and before a build reads its context.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AbortError } from '../errors.js';

/** Whether `candidate` is `root` or below it (both already resolved). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** What a contained path resolved to; `missing` when nothing exists there (callers say what that means for them). */
export type Contained = { real: string; missing?: false } | { real?: undefined; missing: true };

/**
 * Resolve `rel` below `root` with symlinks followed; an AbortError naming `what` and `rel` when the
 * text or the resolved target leaves the checkout (a symlink committed upstream counts as leaving).
 */
export async function resolveContained(root: string, rel: string, what: string): Promise<Contained> {
  const realRoot = await realpath(root);
  const joined = path.resolve(realRoot, rel);
  if (!isInside(realRoot, joined)) throw new AbortError(`${what} "${rel}" is outside the source tree.`, 'Use a path relative to the repository root, without "..".');
  let real: string;
  try {
    real = await realpath(joined);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Also a dangling symlink: nothing is read through it, and writers only write to a resolved `real`.
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    if (code === 'ELOOP') throw new AbortError(`${what} "${rel}" is a symlink loop in the source checkout.`, 'Upstream committed a symlink loop; point the config at a real path.');
    throw error;
  }
  if (!isInside(realRoot, real)) {
    throw new AbortError(`${what} "${rel}" resolves through a symlink to ${real}, outside the source tree; refusing to use it.`,
      'Upstream committed a symlink leaving the repository; point the config at a real path inside it.');
  }
  return { real };
}
