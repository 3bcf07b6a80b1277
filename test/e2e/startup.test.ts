/**
 * Start-up discipline: Ink and React load only on the terminal path, the sigstore libraries only
 * when something signs or verifies. Every module the CLI resolves
 * is traced (test/rig/trace-imports.mjs through NODE_OPTIONS=--import); the same tracer run on a
 * real terminal (tmux) must see Ink, so a tracer that saw nothing cannot pass the test.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishVersions, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { startTerminal } from '../rig/tmux.js';
import { mirror, ROOT } from './cli.js';

let world: SeedWorld;
beforeAll(async () => {
  world = await startSeedWorld();
  const { mattermost } = world.config.apps;
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } }, apps: { mattermost } });
  await publishVersions(world.backend, 'mattermost', ['10.4.0', '10.4.1']);
  // The terminal run gets a window one version wider, so it has builds to show whatever ran before it.
  await writeFile(path.join(world.dir, 'wide.config.json'), JSON.stringify({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 3 } }));
});
afterAll(async () => { await world?.stop(); });

const traceEnv = (file: string) => ({ NODE_OPTIONS: `--import=${path.join(ROOT, 'test/rig/trace-imports.mjs')}`, MIRROR_TRACE_FILE: file });
const UI_PACKAGES = /\/node_modules\/(ink|react|react-reconciler|yoga-layout)\//;
// Heavy too, and only signing (apply with attestations) and verify need it.
const SIGSTORE = /\/node_modules\/(sigstore|@sigstore)\//;
// The commands run from the esbuild bundle (scripts/bundle-cli.mjs); the terminal UI is its lazy chunk of ui/ink/tty.
const DIST = new URL('dist/', pathToFileURL(`${ROOT}/`)).href;
const BUNDLE = `${DIST}bundle/`;
const INK_CHUNK = /\/dist\/bundle\/chunks\/tty-\w+\.js$/;

/** Run `mirror ARGS` with the tracer; the resolved module URLs. */
async function traced(args: string[]): Promise<string[]> {
  const file = path.join(world.dir, `trace-${args.join('-').replace(/\W+/g, '_')}.txt`);
  await rm(file, { force: true });
  const r = await mirror(args, { cwd: world.dir, env: traceEnv(file) });
  expect(r.exitCode, r.stderr).not.toBe(1);
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
}

describe('Ink loads only on a terminal', () => {
  it('plan --json, plan as text and markdown, state list and apply --auto-approve (pipes) never resolve ink or react', async () => {
    for (const args of [['plan', '--json'], ['plan'], ['plan', '--format', 'markdown'], ['state', 'list'], ['apply', '--auto-approve']]) {
      const urls = await traced(args);
      // The trace did record the command that ran, from the bundle
      expect(urls.some((u) => u === `${BUNDLE}commands/${args[0]}.js` || u.startsWith(`${BUNDLE}commands/${args[0]}/`)), args.join(' ')).toBe(true);
      // And nothing of tsc's per-file output: the bundle holds all of mirror's code a command runs
      expect(urls.filter((u) => u.startsWith(DIST) && !u.startsWith(BUNDLE)), args.join(' ')).toEqual([]);
      expect(urls.filter((u) => UI_PACKAGES.test(u) || INK_CHUNK.test(u)), args.join(' ')).toEqual([]);
      // Attestation is off here: nothing signs, so no sigstore library loads (plan never signs at all)
      expect(urls.filter((u) => SIGSTORE.test(u)), args.join(' ')).toEqual([]);
    }
  });

  it('the same tracer sees sigstore when verify runs', async () => {
    // (the apply above adopted the published versions (issue 14), so verify lists them; loading is what is checked)
    const file = path.join(world.dir, 'trace-verify.txt');
    const r = await mirror(['verify'], { cwd: world.dir, env: traceEnv(file) });
    expect(r.stdout).toMatch(/^mattermost@10\.4\.1\s/m);
    const urls = (await readFile(file, 'utf8')).split('\n');
    expect(urls.some((u) => /\/node_modules\/@sigstore\/verify\//.test(u))).toBe(true);
  });

  it('the same tracer sees ink and react when mirror plan runs on a terminal', async () => {
    const file = path.join(world.dir, 'trace-tty.txt');
    const t = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'plan', '--config', 'wide.config.json'], {
      cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...traceEnv(file) },
    });
    try {
      await t.waitFor('q quit');
      await t.keys('q');
      await t.waitFor('[exit 0]');
    } finally {
      await t.kill();
    }
    const urls = (await readFile(file, 'utf8')).split('\n');
    expect(urls.some((u) => /\/node_modules\/ink\//.test(u))).toBe(true);
    expect(urls.some((u) => /\/node_modules\/react\//.test(u))).toBe(true);
    expect(urls.some((u) => INK_CHUNK.test(u))).toBe(true);
  });
});
