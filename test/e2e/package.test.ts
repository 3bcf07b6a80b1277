/**
 * The npm package as a user gets it: `npm pack`, the tarball installed in an empty directory with
 * production dependencies only, then the installed `mirror` run. Catches files missing from
 * `files`, runtime imports of dev-only dependencies and a broken bin (what a test against the
 * source tree cannot see).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { ROOT } from './cli.js';

let dir: string;
let world: SeedWorld;
let bin: string;
let files: string[];
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-pack-'));
  // Given the packed tarball (dist is built by `npm run build` before the tests; no scripts run here)
  const { stdout } = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = path.join(dir, packed.filename);
  files = packed.files.map((f) => f.path);
  // When it is installed alone, production dependencies only (from npm's cache when it has them)
  const app = path.join(dir, 'app');
  await execa('mkdir', ['-p', app]);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'pack-test', private: true }));
  await execa('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app });
  bin = path.join(app, 'node_modules', '.bin', 'mirror');
  world = await startSeedWorld();
  const { mattermost } = world.config.apps;
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2 }, apps: { mattermost } });
}, 300_000);
afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const env = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' });

describe(`the npm package ${pkg.name}`, () => {
  it('is named multiarch-mirror (the name mirror belongs to another package) and installs the bin mirror', () => {
    expect(pkg.name).toBe('multiarch-mirror');
    expect(Object.keys(pkg.bin)).toEqual(['mirror']);
  });

  it('ships the bundled commands and the typed public entry, not the per-file output tsc also writes', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/run.js', 'oclif.manifest.json', 'dist/index.js', 'dist/index.d.ts', 'dist/config/schema.d.ts', 'dist/bundle/commands/plan.js', 'dist/bundle/commands/state/list.js']));
    expect(files.some((f) => f.startsWith('dist/bundle/chunks/'))).toBe(true);
    // (the bundle holds that code; only dist/index.js is imported by path: it is the package's main)
    expect(files.filter((f) => f.endsWith('.js') && f.startsWith('dist/') && !f.startsWith('dist/bundle/') && f !== 'dist/index.js')).toEqual([]);
  });

  it('installed with production dependencies only: --version, help and a plan against the rig work', async () => {
    const version = await execa(bin, ['--version'], { env: env(), extendEnv: false });
    expect(version.stdout).toMatch(new RegExp(`^mirror/${pkg.version.replace(/\./g, '\\.')} `));
    // --help loads oclif and the manifest from the installed package
    const help = await execa(bin, ['--help'], { env: env(), extendEnv: false });
    expect(help.stdout).toContain('plan');
    // A plan loads the config (jiti), the providers and the renderers: everything a real run needs
    const plan = await execa(bin, ['plan', '--json'], { cwd: world.dir, env: env(), extendEnv: false, reject: false });
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).summary.build).toBe(4);
    // And a config scaffolded by the installed init validates (its type import names the package)
    const fresh = await mkdtemp(path.join(dir, 'init-'));
    await execa(bin, ['init', '--registry', 'ghcr.io/acme/mirror'], { cwd: fresh, env: env(), extendEnv: false });
    expect(await readFile(path.join(fresh, 'mirror.config.ts'), 'utf8')).toContain("from 'multiarch-mirror'");
    const validate = await execa(bin, ['validate'], { cwd: fresh, env: env(), extendEnv: false, reject: false });
    expect(validate.exitCode, validate.stderr).toBe(0);
  }, 120_000);
});
