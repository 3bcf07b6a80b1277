import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/config/schema.js';
import type { Plan } from '../../src/plan/types.js';
import { sha256 } from '../../src/providers/registry/http-backend.js';
import { MediaType, type RegistryBackend } from '../../src/providers/registry/types.js';
import { newState } from '../../src/state/new-state.js';
import { tarWithFile } from '../rig/oci.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

const IMAGE = 'mattermost';
const VERSIONS = ['10.4.1', '10.4.0', '10.3.2', '10.3.1', '10.3.0']; // the upstream window of 5
const bytes = (v: unknown) => new Uint8Array(Buffer.from(JSON.stringify(v)));
const parse = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString());

/**
 * A platform image of two layers: a base layer every version of the architecture shares (as real
 * images share their FROM), then the version's own. The retention byte count must leave the base out.
 */
async function pushPlatformImage(backend: RegistryBackend, version: string, architecture: string) {
  const base = tarWithFile('base.txt', `base ${architecture}\n`);
  const own = tarWithFile('app.txt', `${IMAGE} ${version} ${architecture}\n`);
  const config = bytes({ architecture, os: 'linux', config: { Labels: { 'org.opencontainers.image.version': version } }, rootfs: { type: 'layers', diff_ids: [sha256(base), sha256(own)] } });
  for (const blob of [base, own, config]) await backend.putBlob(IMAGE, sha256(blob), blob);
  const manifest = bytes({
    schemaVersion: 2, mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
    layers: [base, own].map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
  });
  return backend.putManifest(IMAGE, sha256(manifest), manifest, MediaType.OciManifest);
}

let world: SeedWorld;
let config: (maxVersions: number, retention?: { keepLatest: number }) => MirrorConfig;
const run = (args: string[]) => mirror(args, { cwd: world.dir });
const statePath = () => path.join(world.dir, '.mirror', 'state.json');
const readState = async () => JSON.parse(await readFile(statePath(), 'utf8'));
const planJson = async () => {
  const r = await run(['plan', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Plan;
};
const listTags = async () => JSON.parse((await execa('skopeo', ['list-tags', '--tls-verify=false', `docker://${world.registry.host}/mirror/${IMAGE}`])).stdout).Tags.sort();

beforeAll(async () => {
  world = await startSeedWorld();
  // Five plain releases (the seed list's late 9.11 backport would enter small windows).
  world.upstream.github.setReleases('mattermost/mattermost', VERSIONS.map((v) => ({ tag_name: `v${v}` })));
  const { mattermost } = world.config.apps;
  config = (maxVersions, retention) => ({
    ...world.config,
    defaults: { ...world.config.defaults, maxVersions, attest: { sbom: false, provenance: false, sign: false }, ...(retention ? { retention } : {}) },
    apps: { mattermost },
  });
  // Given an earlier apply of a 5-version window: platform builds pushed by digest from native
  // runners and recorded in state (as `state merge` leaves them), then merged and tagged by mirror.
  const state = newState();
  const now = new Date().toISOString();
  for (const version of VERSIONS) {
    for (const arch of ['amd64', 'arm64']) {
      const d = await pushPlatformImage(world.backend, version, arch);
      state.resources[`${IMAGE}@${version}/linux/${arch}`] = {
        type: 'build', app: IMAGE, image: IMAGE, version, platform: `linux/${arch}`, digest: d.digest, mediaType: d.mediaType, size: d.size,
        upstream: { tag: `v${version}` }, builder: 'buildah', createdAt: now, updatedAt: now,
      };
    }
  }
  await mkdir(path.dirname(statePath()), { recursive: true });
  await writeFile(statePath(), JSON.stringify(state));
  await world.writeConfig(config(5));
  const r = await run(['apply', '--auto-approve']);
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain('Apply: 6 done, 0 failed, 0 skipped.'); // 5 merges + latest
  expect(await listTags()).toEqual([...VERSIONS, 'latest'].sort());
}, 120_000);
afterAll(async () => { await world?.stop(); });

/** What pruning a version really frees: index + per platform manifest, config, own layer (the base layer is shared). */
async function expectedBytes(version: string): Promise<number> {
  const index = await world.backend.getManifest(IMAGE, version);
  let total = index.bytes.length;
  for (const entry of parse(index.bytes).manifests) {
    const m = await world.backend.getManifest(IMAGE, entry.digest);
    const body = parse(m.bytes);
    total += m.bytes.length + body.config.size + body.layers[1].size;
  }
  return total;
}

describe('retention against the real registry', () => {
  it('keepLatest 3 on a window of 3 with 5 versions: plans exactly 2 prunes, apply deletes them and records it', async () => {
    // When the window shrinks to 3 and the policy keeps the latest 3
    await world.writeConfig(config(3, { keepLatest: 3 }));
    const plan = await planJson();
    // Then the plan prunes exactly the two oldest, never latest's target, each with its digest and honest bytes
    const prunes = plan.actions.filter((a) => a.type === 'prune');
    expect(plan.actions).toEqual(prunes);
    expect(prunes.map((a) => [a.address, a.reason])).toEqual([
      ['mattermost@10.3.1', 'beyond keepLatest 3 (rank 4)'],
      ['mattermost@10.3.0', 'beyond keepLatest 3 (rank 5)'],
    ]);
    expect(plan.summary.prune).toBe(2);
    const state = await readState();
    for (const a of prunes) {
      expect(a.version).not.toBe(plan.apps[0].latest);
      expect(a.digest).toBe(state.resources[a.address].digest);
      expect(a.bytes).toBe(await expectedBytes(a.version!));
      expect(a.manifests?.sort()).toEqual([state.resources[`${a.address}/linux/amd64`].digest, state.resources[`${a.address}/linux/arm64`].digest].sort());
    }
    expect(plan.reclaimBytes).toBeGreaterThan(0);
    expect(plan.reclaimBytes).toBe(prunes.reduce((n, a) => n + a.bytes!, 0));
    // And the text and markdown views show them with `-`, the reason and what is freed
    const text = await run(['plan']);
    expect(text.stdout).toMatch(/- prune\s+mattermost@10\.3\.0\s+beyond keepLatest 3 \(rank 5\); frees \d+\.\d kB/);
    expect(text.stdout).toMatch(/Plan: 2 to prune \(frees \d+\.\d kB\)\./);
    const md = await run(['plan', '--format', 'markdown']);
    expect(md.stdout).toContain('| mattermost | 10.4.1 … 10.3.2 (3 versions) | 10.4.1 | 0 | 0 | 0 | 0 | 2 | 0 |');
    expect(md.stdout).toMatch(/\| - \| prune \| `mattermost@10\.3\.1` \| beyond keepLatest 3 \(rank 4\); frees/);

    // When applying
    const r = await run(['apply', '--auto-approve']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Apply: 2 done, 0 failed, 0 skipped.');
    // Then the registry no longer has their tags, indexes or platform manifests; the kept ones are intact
    expect(await listTags()).toEqual(['10.3.2', '10.4.0', '10.4.1', 'latest']);
    for (const a of prunes) {
      expect(await world.backend.headManifest(IMAGE, a.digest!)).toBeUndefined();
      for (const m of a.manifests!) expect(await world.backend.headManifest(IMAGE, m)).toBeUndefined();
    }
    for (const v of ['10.4.1', '10.4.0', '10.3.2']) {
      for (const arch of ['amd64', 'arm64']) expect(await world.backend.headManifest(IMAGE, state.resources[`${IMAGE}@${v}/linux/${arch}`].digest)).toBeDefined();
    }
    // And the state forgot them (index and builds) and its history records each prune with the deleted digest
    const after = await readState();
    expect(Object.keys(after.resources).filter((k) => k.includes('@10.3.1') || k.includes('@10.3.0'))).toEqual([]);
    expect(Object.keys(after.resources)).toContain('mattermost@10.3.2');
    const events = after.history.filter((e: any) => e.action === 'prune');
    expect(events.map((e: any) => [e.address, e.previous]).sort()).toEqual(prunes.map((a) => [a.address, a.digest]).sort());
    // And the next plan has nothing to do
    const again = await run(['plan', '--detailed-exitcode']);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
  });

  it('apply refuses a saved prune when a tag has come to point at the version since the plan', async () => {
    // Given a saved plan that prunes 10.3.2 (window 2, keepLatest 2)
    await world.writeConfig(config(2, { keepLatest: 2 }));
    const out = path.join(world.dir, 'prune.json');
    expect((await run(['plan', '--out', out])).exitCode).toBe(0);
    const saved = JSON.parse(await readFile(out, 'utf8')) as Plan;
    expect(saved.actions.map((a) => a.id)).toEqual(['prune:mattermost@10.3.2']);
    // When someone tags 10.3.2 `stable` before it is applied
    const { bytes: index, descriptor } = await world.backend.getManifest(IMAGE, '10.3.2');
    await world.backend.putManifest(IMAGE, 'stable', index, descriptor.mediaType);
    const r = await run(['apply', out]);
    // Then the prune is refused, naming the tag, and nothing is deleted
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/prune mattermost@10\.3\.2: FAILED: Refusing to prune mattermost@10\.3\.2: the tag \S+\/mirror\/mattermost:stable points at it/);
    expect(await listTags()).toEqual(['10.3.2', '10.4.0', '10.4.1', 'latest', 'stable']);
    // And a new plan keeps it (stable holds it)
    const again = await run(['plan', '--detailed-exitcode']);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
  });
});
