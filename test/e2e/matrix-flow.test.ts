/**
 * The CI flow played on the rig (issue: CI as the distributed engine): plan once, `mirror matrix`,
 * one "runner" per platform in its own directory with no shared state building only its entries
 * into a fragment, then the merge job folds the fragments and applies the same plan's merges and
 * tags. Its registry result must equal a single-machine apply's. Real buildah, arm64 through QEMU.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixEntry } from '../../src/plan/matrix.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: ['10.4.0', '10.4.1'], mostlymatter: [], outline: ['1.10.0'] } });
  const { mattermost, outline } = world.config.apps;
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 1, attest: { sbom: false, provenance: false, sign: false } }, apps: { mattermost, outline } });
}, 120_000);
afterAll(async () => { await world?.stop(); });

const registryView = async (namespace: string) => {
  const view: Record<string, unknown> = {};
  for (const image of ['mattermost', 'base-outline', 'outline']) {
    const repo = `${namespace}/${image}`;
    const res = await fetch(`http://${world.registry.host}/v2/${repo}/tags/list`);
    const tags = ((await res.json()) as { tags: string[] | null }).tags ?? [];
    const indexes: Record<string, string[]> = {};
    for (const tag of tags) {
      const m = await fetch(`http://${world.registry.host}/v2/${repo}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
      const body = (await m.json()) as { manifests?: Array<{ platform: { os: string; architecture: string } }> };
      indexes[tag] = (body.manifests ?? []).map((d) => `${d.platform.os}/${d.platform.architecture}`);
    }
    view[image] = { tags: [...tags].sort(), indexes };
  }
  return view;
};

describe('the GitHub Actions flow on the rig', () => {
  it('plan → matrix → per-platform runners with fragments → merge job equals a single apply', async () => {
    // Plan job
    const planFile = path.join(world.dir, 'plan.json');
    expect((await mirror(['plan', '--out', planFile], { cwd: world.dir })).exitCode).toBe(0);
    const m = await mirror(['matrix', planFile], { cwd: world.dir });
    expect(m.exitCode, m.stderr).toBe(0);
    const { include } = JSON.parse(m.stdout) as { include: MatrixEntry[] };
    expect(include.map((e) => [e.address, e.image, e.runner])).toEqual([
      ['mattermost@10.4.1/linux/amd64', 'mattermost', 'ubuntu-24.04'],
      ['mattermost@10.4.1/linux/arm64', 'mattermost', 'ubuntu-24.04-arm'],
      ['outline@1.10.0/linux/amd64', 'base-outline,outline', 'ubuntu-24.04'],
      ['outline@1.10.0/linux/arm64', 'base-outline,outline', 'ubuntu-24.04-arm'],
    ]);

    // Build jobs: one runner per platform, each in its own checkout with only the config and the plan
    const fragments = await mkdtemp(path.join(world.dir, 'fragments-'));
    const runners = ['ubuntu-24.04', 'ubuntu-24.04-arm'];
    await Promise.all(runners.map(async (runner) => {
      const dir = path.join(world.dir, `runner-${runner}`);
      await mkdir(dir);
      await copyFile(world.configPath, path.join(dir, 'mirror.config.json'));
      await copyFile(planFile, path.join(dir, 'plan.json'));
      for (const entry of include.filter((e) => e.runner === runner)) {
        const out = path.join(fragments, `${entry.app}-${entry.version}-${entry.arch}.json`);
        const r = await mirror(['apply', 'plan.json', '--only', 'build', '--target', entry.address, '--fragment-out', out], { cwd: dir });
        expect(r.exitCode, `${entry.address}: ${r.stdout}${r.stderr}`).toBe(0);
      }
      // No shared state was touched: a runner only writes its fragments
      expect(await readdir(dir)).toEqual(['mirror.config.json', 'plan.json']);
    }));

    // Merge job: fold the fragments, then the same plan's merges and tags
    const files = (await readdir(fragments)).map((f) => path.join(fragments, f));
    expect(files).toHaveLength(4);
    const fragment = JSON.parse(await readFile(files.find((f) => f.includes('outline'))!, 'utf8'));
    expect(Object.keys(fragment.resources).sort()).toEqual(['outline/base-outline@1.10.0/linux/amd64', 'outline@1.10.0/linux/amd64']);
    // bound to its job: the build actions it was given (--target outline@1.10.0/linux/amd64: both images' builds)
    expect(fragment.actions).toEqual(['outline/base-outline@1.10.0/linux/amd64', 'outline@1.10.0/linux/amd64']);
    const merged = await mirror(['state', 'merge', '--plan', planFile, ...files], { cwd: world.dir });
    expect(merged.exitCode, merged.stderr).toBe(0);
    const apply = await mirror(['apply', planFile, '--only', 'merge,tag'], { cwd: world.dir });
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/Apply: 6 done, 0 failed, 6 skipped\./);
    expect(apply.stdout).toContain('skipped build:outline@1.10.0/linux/arm64: built elsewhere (recorded in state)');
    expect((await mirror(['plan', '--detailed-exitcode'], { cwd: world.dir })).exitCode).toBe(0);
    // The next cron run has nothing to build: an empty matrix and has-builds=false for the workflow's `if:`
    const next = path.join(world.dir, 'plan-next.json');
    expect((await mirror(['plan', '--out', next], { cwd: world.dir })).exitCode).toBe(0);
    const output = path.join(world.dir, 'github-output');
    const empty = await mirror(['matrix', next], { cwd: world.dir, env: { GITHUB_OUTPUT: output } });
    expect(empty.stdout).toBe('{"include":[]}');
    expect(await readFile(output, 'utf8')).toBe('matrix={"include":[]}\nhas-builds=false\n');

    // The same config applied on one machine into another namespace
    const single = await mkdtemp(path.join(world.dir, 'single-'));
    await writeFile(path.join(single, 'mirror.config.json'), JSON.stringify({ ...world.config, registry: { ...world.config.registry, url: world.registry.url('single') } }));
    const one = await mirror(['apply', '--auto-approve'], { cwd: single });
    expect(one.exitCode, one.stdout + one.stderr).toBe(0);

    const matrixView = await registryView('mirror');
    expect(matrixView).toEqual(await registryView('single'));
    expect(matrixView.outline).toEqual({ tags: ['1.10.0', 'latest'], indexes: { '1.10.0': ['linux/amd64', 'linux/arm64'], latest: ['linux/amd64', 'linux/arm64'] } });
  }, 300_000);
});
