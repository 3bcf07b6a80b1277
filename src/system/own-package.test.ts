import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOwnPackage, ownPackage } from './own-package.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'mirror-own-package-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('ownPackage', () => {
  it("is the repository's package.json (read from src/ here, from dist/ and dist/bundle/chunks/ when built)", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(ownPackage()).toEqual({ name: 'multiarch-mirror', version: pkg.version });
  });

  it('is found above any depth, past package.json files of other names and unreadable ones', async () => {
    // Given mirror installed in an app, its code two levels deep, and other package.json files on the way
    const root = path.join(dir, 'app/node_modules/multiarch-mirror');
    const deep = path.join(root, 'dist/bundle/chunks');
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(dir, 'app/package.json'), JSON.stringify({ name: 'app', version: '9.9.9' }));
    await writeFile(path.join(root, 'package.json'), JSON.stringify({ name: 'multiarch-mirror', version: '1.2.3' }));
    await writeFile(path.join(root, 'dist/package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(path.join(root, 'dist/bundle/package.json'), '{ not json');
    // Then the walk up from the chunk finds mirror's own
    expect(findOwnPackage(deep)).toEqual({ name: 'multiarch-mirror', version: '1.2.3' });
    // And from above it, it is not found (the app's package.json is not mirror's)
    expect(() => findOwnPackage(path.join(dir, 'app'))).toThrow(/no package\.json of multiarch-mirror \(or with a mirror bin\) above/);
  });

  it('a renamed copy is found by its mirror bin', async () => {
    const root = path.join(dir, 'fork');
    await mkdir(path.join(root, 'dist'), { recursive: true });
    await writeFile(path.join(root, 'package.json'), JSON.stringify({ name: '@acme/mirror', version: '0.9.0', bin: { mirror: 'bin/run.js' } }));
    expect(findOwnPackage(path.join(root, 'dist'))).toEqual({ name: '@acme/mirror', version: '0.9.0' });
  });
});
