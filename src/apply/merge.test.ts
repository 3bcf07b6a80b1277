/**
 * The merge step against a real docker-registry: the index entries carry the platform read from
 * each image's config, never the platform the record (or the plan) claims, so a digest recorded
 * for the wrong architecture is refused instead of published as that architecture.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushTestImage, tarWithFile } from '../../test/rig/oci.js';
import { startRegistry, type TestRegistry } from '../../test/rig/registry.js';
import { AbortError } from '../errors.js';
import type { Action } from '../plan/types.js';
import { sha256 } from '../providers/registry/http-backend.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import { OciLayoutBackend } from '../providers/registry/oci-layout.js';
import { MediaType, type RegistryBackend } from '../providers/registry/types.js';
import { buildAddress, indexAddress } from '../state/addresses.js';
import { MemoryStateStore } from '../../test/state/memory-store.js';
import { newState } from '../state/new-state.js';
import type { ApplyContext } from './context.js';
import { StateRecorder } from './recorder.js';
import { mergeStep } from './steps.js';

let registry: TestRegistry;
let backend: RegistryBackend;
beforeAll(async () => {
  registry = await startRegistry();
  backend = createRegistryBackend({ url: registry.url('merge'), insecure: true }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5 });
});
afterAll(async () => { await registry?.stop(); });

const PLATFORMS = ['linux/amd64', 'linux/arm64'];

/** A context for app `app` (one image, two platforms) whose state records `recorded` per platform. */
function contextWith(image: string, version: string, recorded: Record<string, string>, upstream: { tag: string; commit?: string } | null = { tag: `v${version}` }, platforms = PLATFORMS, registry: RegistryBackend = backend) {
  const state = newState();
  for (const [platform, digest] of Object.entries(recorded)) {
    state.resources[buildAddress('app', image, version, platform)] = {
      type: 'build', app: 'app', image, version, platform, digest, createdAt: 't', updatedAt: 't', ...(upstream ? { upstream } : {}),
    };
  }
  const recorder = new StateRecorder(new MemoryStateStore(state), state, 'tester@host');
  const ctx = {
    registry, recorder,
    config: { apps: [{ name: 'app', platforms, images: [{ name: image }] }] },
    plan: { apps: [{ name: 'app', tags: { [version]: `v${version}` } }] },
  } as unknown as ApplyContext;
  const action: Action = {
    id: `merge:${indexAddress('app', image, version)}`, type: 'merge', address: indexAddress('app', image, version), app: 'app', image, version,
    reason: 'test', dependsOn: [],
  };
  return { ctx, action, recorder };
}

describe('merge step (real registry)', () => {
  it('publishes an index whose entries carry the platform of each image config', async () => {
    const amd = await pushTestImage(backend, 'good', { architecture: 'amd64' });
    const arm = await pushTestImage(backend, 'good', { architecture: 'arm64' });
    const { ctx, action, recorder } = contextWith('good', '1.0.0', { 'linux/amd64': amd.digest, 'linux/arm64': arm.digest });
    const digest = await mergeStep(ctx, action);
    const index = JSON.parse(Buffer.from((await backend.getManifest('good', '1.0.0')).bytes).toString());
    expect(index.mediaType).toBe(MediaType.OciIndex);
    expect(index.manifests.map((m: { digest: string; platform: unknown }) => [m.digest, m.platform])).toEqual([
      [amd.digest, { os: 'linux', architecture: 'amd64' }], [arm.digest, { os: 'linux', architecture: 'arm64' }],
    ]);
    expect(recorder.state.resources[action.address]).toMatchObject({ type: 'index', digest, platforms: PLATFORMS, upstream: { tag: 'v1.0.0' } });
  });

  it('refuses to publish when a digest recorded for arm64 is an amd64 image, and publishes nothing', async () => {
    // Given an arm64 record that points at an amd64 image (a mixed-up fragment, a wrong runner)
    const amd = await pushTestImage(backend, 'mixed', { architecture: 'amd64', content: 'amd' });
    const wrong = await pushTestImage(backend, 'mixed', { architecture: 'amd64', content: 'not arm' });
    const { ctx, action, recorder } = contextWith('mixed', '2.0.0', { 'linux/amd64': amd.digest, 'linux/arm64': wrong.digest });
    // When merge runs, then it refuses naming the digest, the claimed and the actual platform
    const err = await mergeStep(ctx, action).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).message).toBe(`${wrong.digest} recorded for linux/arm64 of ${action.address} is an linux/amd64 image; refusing to publish it.`);
    // and neither the registry nor the state has the version
    expect(await backend.listTags('mixed')).not.toContain('2.0.0');
    expect(recorder.state.resources[action.address]).toBeUndefined();
  });

  it('refuses when a platform has no recorded digest', async () => {
    const amd = await pushTestImage(backend, 'half', { architecture: 'amd64' });
    const { ctx, action } = contextWith('half', '3.0.0', { 'linux/amd64': amd.digest });
    await expect(mergeStep(ctx, action)).rejects.toThrow(`Cannot merge ${action.address}: no digest recorded for linux/arm64.`);
    expect(await backend.listTags('half')).not.toContain('3.0.0');
  });
});

describe('merge step records (mutation testing, issue 20)', () => {
  it("records the builds' upstream (commit included), the version tag, and a merge event", async () => {
    const amd = await pushTestImage(backend, 'rec', { architecture: 'amd64' });
    const arm = await pushTestImage(backend, 'rec', { architecture: 'arm64' });
    const { ctx, action, recorder } = contextWith('rec', '4.0.0', { 'linux/amd64': amd.digest, 'linux/arm64': arm.digest }, { tag: 'v4.0.0', commit: 'c0ffee' });
    const digest = await mergeStep(ctx, action);
    expect(recorder.state.resources[action.address]).toMatchObject({ tags: ['4.0.0'], upstream: { tag: 'v4.0.0', commit: 'c0ffee' } });
    expect(recorder.state.history.at(-1)).toMatchObject({ action: 'merge', address: action.address, digest, upstream: { tag: 'v4.0.0', commit: 'c0ffee' } });
  });

  it("takes the upstream tag from the plan when the builds recorded none (state merged from older fragments)", async () => {
    const amd = await pushTestImage(backend, 'old', { architecture: 'amd64' });
    const arm = await pushTestImage(backend, 'old', { architecture: 'arm64' });
    const { ctx, action, recorder } = contextWith('old', '5.0.0', { 'linux/amd64': amd.digest, 'linux/arm64': arm.digest }, null);
    await mergeStep(ctx, action);
    expect(recorder.state.resources[action.address]).toMatchObject({ upstream: { tag: 'v5.0.0' } });
  });

  it('a missing platform digest says what to do next', async () => {
    const { ctx, action } = contextWith('none', '6.0.0', {});
    await expect(mergeStep(ctx, action)).rejects.toMatchObject({ nextSteps: 'Run the builds first (or fold their fragments into state).' });
  });
});

describe('merge step with platform variants (mutation testing, issue 20)', () => {
  it('keeps the variant of each image config in the index (linux/arm/v7 next to linux/arm64/v8)', async () => {
    // Given builds recorded for linux/arm/v7 and for linux/arm64 whose image says variant v8
    const v7 = await pushTestImage(backend, 'variant', { architecture: 'arm', variant: 'v7' });
    const v8 = await pushTestImage(backend, 'variant', { architecture: 'arm64', variant: 'v8' });
    const { ctx, action } = contextWith('variant', '1.0.0', { 'linux/arm/v7': v7.digest, 'linux/arm64': v8.digest }, undefined, ['linux/arm/v7', 'linux/arm64']);
    // When merged, then the index entries say arm/v7 and arm64/v8: a runtime on an armv7 board picks the right one
    await mergeStep(ctx, action);
    const index = JSON.parse(Buffer.from((await backend.getManifest('variant', '1.0.0')).bytes).toString());
    expect(index.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
      { os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
  });

  it('refuses an image of another variant than the one recorded (linux/arm/v6 recorded, the image is arm/v7)', async () => {
    const v7 = await pushTestImage(backend, 'variant-wrong', { architecture: 'arm', variant: 'v7' });
    const { ctx, action } = contextWith('variant-wrong', '1.0.0', { 'linux/arm/v6': v7.digest }, undefined, ['linux/arm/v6']);
    await expect(mergeStep(ctx, action)).rejects.toThrow(`${v7.digest} recorded for linux/arm/v6 of ${action.address} is an linux/arm/v7 image; refusing to publish it.`);
    expect(await backend.listTags('variant-wrong')).not.toContain('1.0.0');
  });

  it('refuses a 64-bit arm image recorded for 32-bit linux/arm (a platform is not a prefix of another architecture)', async () => {
    const arm64 = await pushTestImage(backend, 'arm-prefix', { architecture: 'arm64' });
    const { ctx, action } = contextWith('arm-prefix', '1.0.0', { 'linux/arm': arm64.digest }, undefined, ['linux/arm']);
    await expect(mergeStep(ctx, action)).rejects.toThrow(`${arm64.digest} recorded for linux/arm of ${action.address} is an linux/arm64 image; refusing to publish it.`);
    expect(await backend.listTags('arm-prefix')).not.toContain('1.0.0');
  });
});

describe('merge step media types (mutation testing, issue 20)', () => {
  it("gives each index entry the media type of the image's manifest: Docker schema 2 stays Docker schema 2", async () => {
    // Given images a builder pushed in Docker's format (buildah --format docker)
    const amd = await pushTestImage(backend, 'docker-format', { architecture: 'amd64', format: 'docker' });
    const arm = await pushTestImage(backend, 'docker-format', { architecture: 'arm64', format: 'docker' });
    const { ctx, action } = contextWith('docker-format', '1.0.0', { 'linux/amd64': amd.digest, 'linux/arm64': arm.digest });
    await mergeStep(ctx, action);
    // Then the index says so: a runtime that checks the entry's type against the manifest fetches them
    const index = JSON.parse(Buffer.from((await backend.getManifest('docker-format', '1.0.0')).bytes).toString());
    expect(index.manifests.map((m: { mediaType: string }) => m.mediaType)).toEqual([MediaType.DockerManifest, MediaType.DockerManifest]);
  });

  it("an OCI layout entry stored without a media type is read from the manifest, else taken as an OCI manifest", async () => {
    // Given an OCI layout written by another tool whose index.json entries carry no mediaType
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-merge-layout-'));
    try {
      const layout = new OciLayoutBackend(dir);
      const push = async (architecture: string, bodyType: string | undefined) => {
        const layer = tarWithFile('a.txt', architecture);
        const config = new TextEncoder().encode(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
        await layout.putBlob('untyped', sha256(layer), layer);
        await layout.putBlob('untyped', sha256(config), config);
        const manifest = new TextEncoder().encode(JSON.stringify({
          schemaVersion: 2, ...(bodyType ? { mediaType: bodyType } : {}),
          config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
        }));
        return (await layout.putManifest('untyped', sha256(manifest), manifest, '')).digest;
      };
      const amd = await push('amd64', MediaType.DockerManifest);
      const arm = await push('arm64', undefined);
      const { ctx, action } = contextWith('untyped', '1.0.0', { 'linux/amd64': amd, 'linux/arm64': arm }, undefined, PLATFORMS, layout);
      // When merged, then the entries carry the body's media type, or the OCI manifest type when it has none
      await mergeStep(ctx, action);
      const index = JSON.parse(Buffer.from((await layout.getManifest('untyped', '1.0.0')).bytes).toString());
      expect(index.manifests.map((m: { mediaType: string }) => m.mediaType)).toEqual([MediaType.DockerManifest, MediaType.OciManifest]);
    } finally { await rm(dir, { recursive: true, force: true }); }
  });
});
