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

/** The nearest package.json named multiarch-mirror above `from` (a directory). */
export function findOwnPackage(from: string): OwnPackage {
  for (let dir = from; ; dir = path.dirname(dir)) {
    let pkg: Partial<OwnPackage> | undefined;
    try {
      pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Partial<OwnPackage>;
    } catch {
      // none here (or not JSON): keep walking up
    }
    if (pkg?.name === NAME && typeof pkg.version === 'string') return { name: pkg.name, version: pkg.version };
    if (path.dirname(dir) === dir) throw new Error(`no package.json named ${NAME} above ${from}`);
  }
}

/** mirror's package.json, read once. */
export function ownPackage(): OwnPackage {
  found ??= findOwnPackage(path.dirname(fileURLToPath(import.meta.url)));
  return found;
}
