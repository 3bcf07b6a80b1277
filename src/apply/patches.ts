/**
 * Source patches (SPEC §2), applied in order to the checked-out source before a build. A patch
 * that changes nothing is an error naming the file and the patch: upstream moved, and a silent
 * no-op would ship an image that is not what the config says.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Patch } from '../config/schema.js';
import { AbortError } from '../errors.js';

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

/** Apply patches in order inside `root`; `dockerfile` is the file `unpinDigests` edits when it names none. */
export async function applyPatches(root: string, patches: Patch[], dockerfile: string, where: string): Promise<void> {
  for (const [i, patch] of patches.entries()) {
    const rel = patch.file ?? dockerfile;
    const file = path.resolve(root, rel);
    // Paths come from the config, but a `../` must still not reach outside the checkout.
    if (!file.startsWith(`${path.resolve(root)}${path.sep}`)) {
      throw new AbortError(`${where} ${describePatch(patch, i)}: file "${rel}" is outside the source tree.`);
    }
    let before: string;
    try {
      before = await readFile(file, 'utf8');
    } catch {
      throw new AbortError(`${where} ${describePatch(patch, i)}: file ${rel} does not exist in the source.`, 'Upstream may have moved it; update the patch.');
    }
    const after = patchText(before, patch);
    if (after === before) {
      throw new AbortError(`${where} ${describePatch(patch, i)} changed nothing in ${rel}.`,
        'Upstream changed the file; update or remove the patch (a patch that silently does nothing would ship a different image).');
    }
    await writeFile(file, after);
  }
}
