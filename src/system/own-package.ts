/**
 * mirror's own package.json (its version goes into provenance statements). Found by walking up
 * from this module's directory, not by a fixed relative path: the same code runs from tsc's
 * output (dist/system/) and from a chunk of the CLI bundle (dist/bundle/chunks/), at different
 * depths. Read as a file, not imported: a JSON import warns on Node 20.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'multiarch-mirror';

/** The fields of package.json mirror reads. */
export interface OwnPackage {
  name: string;
  version: string;
}

let found: OwnPackage | undefined;

/**
 * The nearest package.json above `from` (a directory) that is mirror's: named multiarch-mirror, or
 * shipping the `mirror` command (a fork or a repackaged copy under another name).
 */
export function findOwnPackage(from: string): OwnPackage {
  for (let dir = from; ; dir = path.dirname(dir)) {
    let pkg: (Partial<OwnPackage> & { bin?: unknown }) | undefined;
    try {
      pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Partial<OwnPackage> & { bin?: unknown };
    } catch {
      // none here (or not JSON): keep walking up
    }
    const ours = pkg?.name === NAME || (typeof pkg?.bin === 'object' && pkg.bin !== null && 'mirror' in pkg.bin);
    if (ours && typeof pkg?.name === 'string' && typeof pkg.version === 'string') return { name: pkg.name, version: pkg.version };
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${NAME} (or with a mirror bin) above ${from}`);
  }
}

/** mirror's package.json, read once. */
export function ownPackage(): OwnPackage {
  found ??= findOwnPackage(path.dirname(fileURLToPath(import.meta.url)));
  return found;
}
