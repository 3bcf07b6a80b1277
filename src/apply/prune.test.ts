import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pushTestImage, pushTestIndex } from '../../test/rig/oci.js';
import type { ActionOf } from '../plan/types.js';
import { attachBundle, fallbackTag } from '../providers/attest/referrers.js';
import { RegistryError } from '../providers/registry/errors.js';
import { MediaType } from '../providers/registry/types.js';
import { OciLayoutBackend } from '../providers/registry/oci-layout.js';
import { MemoryStateStore } from '../../test/state/memory-store.js';
import { newState } from '../state/new-state.js';
import type { ApplyContext } from './context.js';
import { pruneStep } from './prune.js';
import { StateRecorder } from './recorder.js';

let dir: string;
let registry: OciLayoutBackend;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-prune-'));
  registry = new OciLayoutBackend(dir);
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** Publish a two-platform version into the layout, recorded in state like an apply leaves it. */
async function publish(state: ReturnType<typeof newState>, version: string) {
  const builds = [];
  for (const architecture of ['amd64', 'arm64']) {
    const d = await pushTestImage(registry, 'app', { architecture, content: `${version} ${architecture}` });
    builds.push(d);
    state.resources[`app@${version}/linux/${architecture}`] = { type: 'build', app: 'app', image: 'app', version, platform: `linux/${architecture}`, digest: d.digest, createdAt: 't', updatedAt: 't' };
  }
  const index = await pushTestIndex(registry, 'app', version, builds);
  state.resources[`app@${version}`] = { type: 'index', app: 'app', image: 'app', version, digest: index.digest, createdAt: 't', updatedAt: 't' };
  return { index: index.digest, builds: builds.map((b) => b.digest) };
}

async function setup(versions: string[]) {
  const state = newState();
  const published: Record<string, { index: string; builds: string[] }> = {};
  for (const v of versions) published[v] = await publish(state, v); // one at a time: a layout's index.json is read-modify-write
  const store = new MemoryStateStore(state);
  const recorder = new StateRecorder(store, state, 'tester@host');
  const ctx = { registry, recorder } as unknown as ApplyContext;
  const prune = (version: string): ActionOf<'prune'> => ({
    id: `prune:app@${version}`, type: 'prune', address: `app@${version}`, app: 'app', image: 'app', version, reason: 'test',
    digest: published[version].index, manifests: published[version].builds, dependsOn: [],
  });
  return { ctx, recorder, published, prune };
}

const layoutDigests = async () => (JSON.parse(await readFile(path.join(dir, 'app', 'index.json'), 'utf8')).manifests as { digest: string }[]).map((m) => m.digest);

describe('prune step (on the oci: layout backend)', () => {
  it('deletes the index and its platform manifests, forgets the version in state and records the event', async () => {
    const { ctx, recorder, published, prune } = await setup(['1.0.0', '2.0.0']);
    expect(await pruneStep(ctx, prune('1.0.0'))).toBe(published['1.0.0'].index);
    expect(await registry.listTags('app')).toEqual(['2.0.0']);
    const left = await layoutDigests();
    for (const d of [published['1.0.0'].index, ...published['1.0.0'].builds]) expect(left).not.toContain(d);
    for (const d of [published['2.0.0'].index, ...published['2.0.0'].builds]) expect(left).toContain(d);
    expect(Object.keys(recorder.state.resources).sort()).toEqual(['app@2.0.0', 'app@2.0.0/linux/amd64', 'app@2.0.0/linux/arm64']);
    expect(recorder.state.history.at(-1)).toMatchObject({ who: 'tester@host', action: 'prune', address: 'app@1.0.0', previous: published['1.0.0'].index });
  });

  it('also deletes the pruned index\'s attestation referrers and its sha256-<hex> fallback tag', async () => {
    // Given 1.0.0 attested (a signature and an SBOM in the fallback index)
    const { ctx, published, prune } = await setup(['1.0.0', '2.0.0']);
    const subject = { mediaType: MediaType.OciIndex, digest: published['1.0.0'].index, size: 1 };
    const refs = [];
    for (const kind of ['signature', 'sbom'] as const) refs.push(await attachBundle(registry, 'app', subject, kind, new TextEncoder().encode(`{"${kind}":1}`)));
    expect(await registry.listTags('app')).toContain(fallbackTag(published['1.0.0'].index));
    // When it is pruned
    await pruneStep(ctx, prune('1.0.0'));
    // Then neither the fallback tag nor the referrers are left
    expect(await registry.listTags('app')).toEqual(['2.0.0']);
    const left = await layoutDigests();
    for (const d of refs) expect(left).not.toContain(d);
  });

  it('refuses when a floating tag points at the digest, or the version tag moved, and deletes nothing', async () => {
    const { ctx, published, prune } = await setup(['1.0.0', '2.0.0']);
    const { bytes, descriptor } = await registry.getManifest('app', '1.0.0');
    await registry.putManifest('app', 'latest', bytes, descriptor.mediaType);
    await expect(pruneStep(ctx, prune('1.0.0'))).rejects.toThrow(/Refusing to prune app@1\.0\.0: the tag oci:.*\/app:latest points at it/);
    const moved = { ...prune('2.0.0'), digest: published['1.0.0'].index };
    await expect(pruneStep(ctx, moved)).rejects.toThrow(`Refusing to prune app@2.0.0: oci:${dir}/app:2.0.0 now points at ${published['2.0.0'].index}, not the planned ${published['1.0.0'].index}.`);
    expect((await registry.listTags('app')).sort()).toEqual(['1.0.0', '2.0.0', 'latest']);
  });

  it('parallel prunes (apply runs up to 4 at once) do not undo each other in the layout\'s index.json', async () => {
    const { ctx, recorder, prune } = await setup(['1.0.0', '2.0.0', '3.0.0', '4.0.0']);
    await Promise.all(['1.0.0', '2.0.0', '3.0.0'].map((v) => pruneStep(ctx, prune(v))));
    expect(await registry.listTags('app')).toEqual(['4.0.0']);
    expect(await layoutDigests()).toHaveLength(3); // 4.0.0's index and its two platform manifests
    expect(recorder.state.history.filter((e) => e.action === 'prune')).toHaveLength(3);
  });

  it('says plainly when the registry refuses DELETE (ghcr.io, Docker Hub answer 405)', async () => {
    const { ctx, recorder, prune } = await setup(['1.0.0']);
    const refusing = Object.assign(Object.create(registry), {
      deleteManifest: async () => { throw new RegistryError('x', 'Registry ghcr.io answered HTTP 405 to DELETE x (UNSUPPORTED).', undefined, 405); },
    });
    await expect(pruneStep({ ...ctx, registry: refusing } as ApplyContext, prune('1.0.0'))).rejects.toThrow(/does not allow deleting manifests through the registry API, so app@sha256:\w+ cannot be pruned\./);
    expect(Object.keys(recorder.state.resources)).toContain('app@1.0.0');
  });

  it('a version already gone from the registry is only forgotten in state', async () => {
    const { ctx, recorder, published, prune } = await setup(['1.0.0']);
    await registry.deleteManifest('app', published['1.0.0'].index);
    await pruneStep(ctx, prune('1.0.0'));
    expect(recorder.state.resources).toEqual({});
  });
});
