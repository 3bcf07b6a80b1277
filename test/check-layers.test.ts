/**
 * scripts/check-layers.mjs (`npm run check:layers`, part of `npm test`): it must pass on src/ and
 * must fail, naming the file, on each kind of breakage it exists to catch.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './e2e/cli.js';

const SCRIPT = path.join(ROOT, 'scripts/check-layers.mjs');
const check = (dir?: string) => execa('node', dir ? [SCRIPT, dir] : [SCRIPT], { reject: false });

let dir: string;
/** Write files into a fresh tree: { 'plan/a.ts': 'import …' }. */
async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(dir, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'check-layers-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('check-layers', () => {
  it('passes on src/: layers top-down, providers through interfaces, no cycles', async () => {
    const run = await check();
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^check-layers: \d+ files, \d+ imports: layers top-down, providers through interfaces, no cycles$/);
  });

  it('fails on an upward import, a provider internal reached from plan/state/config, and a cycle (type-only and dynamic imports included)', async () => {
    // Given a tree with one of each breakage, and the allowed forms beside them
    const root = await tree('bad', {
      'errors.ts': 'export class E extends Error {}\n',
      'providers/upstream/types.ts': 'export interface Src { url: string }\n',
      'providers/upstream/index.ts': "export { probe } from './http.js';\n",
      'providers/upstream/http.ts': "import type { Cfg } from '../../config/schema.js';\nexport const probe = (c: Cfg) => c;\n",
      'config/schema.ts': 'export interface Cfg { a: string }\n',
      'plan/window.ts': "import { probe } from '../providers/upstream/http.js';\nimport { probe as p } from '../providers/upstream/index.js';\nimport type { Src } from '../providers/upstream/types.js';\nexport const w = (s: Src) => [probe, p, s];\n",
      'state/backend.ts': "export interface B { x: number }\nexport const open = () => import('./oci-backend.js');\n",
      'state/oci-backend.ts': "import {\n  type B,\n} from './backend.js';\nexport const b: B = { x: 1 };\n",
      'state/fine.test.ts': "import '../plan/window.js';\n",
    });
    // When it checks that tree
    const run = await check(root);
    // Then it names each breakage, and nothing else
    expect(run.exitCode).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      'plan/window.ts imports providers/upstream/http.ts: plan/ reaches providers only through their interfaces (a type-only import, or types.ts, errors.ts, index.ts)',
      'providers/upstream/http.ts imports config/schema.ts: providers/ may not import config/, which is above it',
      'import cycle: state/backend.ts ⇄ state/oci-backend.ts',
      'check-layers: 3 problem(s) in 8 files (7 imports)',
    ]);
  });
});
