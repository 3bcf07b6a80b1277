/**
 * Source patches (SPEC §2), applied in order to the checked-out source before a build. A patch
 * that changes nothing is an error naming the file and the patch: upstream moved, and a silent
 * no-op would ship an image that is not what the config says.
 */
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { Patch } from '../config/schema.js';
import { AbortError } from '../errors.js';
import { resolveContained } from './contained-path.js';

/** `FROM image@sha256:<64 hex>` → `FROM image` (keeps `--platform=` flags and `AS name`). */
export function unpinDigests(text: string): string {
  return text.replace(/^(\s*FROM\s+(?:--\S+\s+)*)(\S+?)@sha256:[a-f0-9]{64}(?=\s|$)/gim, '$1$2');
}

/** Insert a line after every line matching `after` (a line-anchored regex). */
export function insertAfter(text: string, after: string, insert: string): string {
  const re = new RegExp(after);
  return text.split('\n').flatMap((line) => (re.test(line) ? [line, insert] : [line])).join('\n');
}

/** Describe a patch for messages. */
export function describePatch(patch: Patch, index: number): string {
  if ('unpinDigests' in patch) return `patches[${index}] (unpinDigests)`;
  if ('replace' in patch) return `patches[${index}] (replace ${JSON.stringify(patch.replace.slice(0, 40))})`;
  return `patches[${index}] (after ${JSON.stringify(patch.after)})`;
}

/** Apply one patch to text; returns the new text. */
export function patchText(text: string, patch: Patch): string {
  if ('unpinDigests' in patch) return unpinDigests(text);
  if ('replace' in patch) return text.split(patch.replace).join(patch.with);
  return insertAfter(text, patch.after, patch.insert);
}

/** Patches with their templates rendered (`file` and `after` are taken literally). */
export function renderPatches(patches: Patch[], render: (template: string) => string): Patch[] {
  return patches.map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'string' && k !== 'file' && k !== 'after' ? render(v) : v]))) as Patch[];
}

/** Apply patches in order inside `root`; `dockerfile` is the file `unpinDigests` edits when it names none. */
export async function applyPatches(root: string, patches: Patch[], dockerfile: string, where: string): Promise<void> {
  for (const [i, patch] of patches.entries()) {
    const rel = patch.file ?? dockerfile;
    // The path is the config's, the symlinks on it upstream's: only the resolved file must stay in the checkout.
    const resolved = await resolveContained(root, rel, `${where} ${describePatch(patch, i)}: file`);
    let before: string;
    try {
      // Stryker disable next-line ConditionalExpression,StringLiteral: a shortcut; readFile(undefined) throws into the same catch, and this text is never shown
      if (resolved.missing) throw new Error('missing');
      before = await readFile(resolved.real, 'utf8');
    } catch {
      throw new AbortError(`${where} ${describePatch(patch, i)}: file ${rel} does not exist in the source.`, 'Upstream may have moved it; update the patch.');
    }
    const file = resolved.real;
    const after = patchText(before, patch);
    if (after === before) {
      throw new AbortError(`${where} ${describePatch(patch, i)} changed nothing in ${rel}.`,
        'Upstream changed the file; update or remove the patch (a patch that silently does nothing would ship a different image).');
    }
    await writeNoFollow(file, after);
  }
}

/** Write the resolved file itself: O_NOFOLLOW refuses a symlink put in its place since it was resolved. */
async function writeNoFollow(file: string, text: string): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
  try { await handle.writeFile(text); } finally { await handle.close(); }
}
