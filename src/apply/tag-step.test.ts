/**
 * The tag step and base-image references against a real docker-registry (issue 20's mutation run
 * found them reached only through CLI tests): a floating tag gets the version's recorded index,
 * history says where the tag really was, and `{image:NAME}` resolves to the recorded build or the
 * published index's platform entry, else fails saying what to apply first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushTestImage } from '../../test/rig/oci.js';
import { startRegistry, type TestRegistry } from '../../test/rig/registry.js';
import { AbortError } from '../errors.js';
import type { ActionOf } from '../plan/types.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import { entryFor, MediaType, type RegistryBackend } from '../providers/registry/types.js';
import { buildAddress, indexAddress, tagAddress } from '../state/addresses.js';
import { MemoryStateStore } from '../../test/state/memory-store.js';
import { newState } from '../state/new-state.js';
import type { State } from '../state/types.js';
import type { ApplyContext } from './context.js';
import { StateRecorder } from './recorder.js';
import { imageRef, tagStep } from './steps.js';

let registry: TestRegistry;
let backend: RegistryBackend;
beforeAll(async () => {
  registry = await startRegistry();
  backend = createRegistryBackend({ url: registry.url('steps'), insecure: true }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5 });
});
afterAll(async () => { await registry?.stop(); });

function contextWith(state: State) {
  const recorder = new StateRecorder(new MemoryStateStore(state), state, 'tester@host');
  return { ctx: { registry: backend, recorder } as unknown as ApplyContext, recorder };
}

/** An index of one amd64 image, pushed under `tag`. */
async function publishIndex(image: string, tag: string, content: string) {
  const amd = await pushTestImage(backend, image, { architecture: 'amd64', content });
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...amd, platform: { os: 'linux', architecture: 'amd64' } }] }));
  const put = await backend.putManifest(image, tag, bytes, MediaType.OciIndex);
  return { index: put.digest, amd: amd.digest };
}

const tagAction = (image: string, tag: string, version: string): ActionOf<'tag'> => ({
  id: `tag:${tagAddress('app', image, tag)}`, type: 'tag', address: tagAddress('app', image, tag), app: 'app', image, version, tag, reason: 'test', dependsOn: [],
});

describe('tag step (real registry)', () => {
  it("points the tag at the version's recorded index even when the version tag was moved since, and records where it was", async () => {
    // Given 1.0.0 recorded at index A, its tag since moved by hand to B, and latest on B
    const a = await publishIndex('t1', '1.0.0', 'a');
    const b = await publishIndex('t1', '1.0.0', 'b');
    await backend.putManifest('t1', 'latest', (await backend.getManifest('t1', b.index)).bytes, MediaType.OciIndex);
    const state = newState();
    state.resources[indexAddress('app', 't1', '1.0.0')] = { type: 'index', app: 'app', image: 't1', version: '1.0.0', digest: a.index, createdAt: 't', updatedAt: 't' };
    const { ctx, recorder } = contextWith(state);
    // When latest is tagged onto 1.0.0
    const digest = await tagStep(ctx, tagAction('t1', 'latest', '1.0.0'));
    // Then it serves the recorded index A, and history names B as where it was
    expect(digest).toBe(a.index);
    expect((await backend.headManifest('t1', 'latest'))?.digest).toBe(a.index);
    expect(recorder.state.resources[tagAddress('app', 't1', 'latest')]).toMatchObject({ type: 'tag', version: '1.0.0', tag: 'latest', digest: a.index, mediaType: MediaType.OciIndex });
    expect(recorder.state.history.at(-1)).toMatchObject({ action: 'tag', address: tagAddress('app', 't1', 'latest'), digest: a.index, previous: b.index });
  });

  it('without a record, takes what the version tag serves', async () => {
    const { index } = await publishIndex('t2', '2.0.0', 'c');
    const { ctx } = contextWith(newState());
    expect(await tagStep(ctx, tagAction('t2', 'stable', '2.0.0'))).toBe(index);
    expect((await backend.headManifest('t2', 'stable'))?.digest).toBe(index);
  });
});

describe('imageRef (`{image:NAME}` of a build)', () => {
  it('is the recorded build of that version and platform, else the published index entry, else an error naming what to apply', async () => {
    const { amd } = await publishIndex('base', '3.0.0', 'base');
    const state = newState();
    state.resources[buildAddress('app', 'base', '4.0.0', 'linux/amd64')] = { type: 'build', app: 'app', image: 'base', version: '4.0.0', platform: 'linux/amd64', digest: amd, createdAt: 't', updatedAt: 't' };
    const { ctx } = contextWith(state);
    const repo = backend.repository('base');
    expect(await imageRef(ctx, 'app', 'base', '4.0.0', 'linux/amd64')).toBe(`${repo}@${amd}`);
    expect(await imageRef(ctx, 'app', 'base', '3.0.0', 'linux/amd64')).toBe(`${repo}@${amd}`);
    const missing = await imageRef(ctx, 'app', 'base', '3.0.0', 'linux/arm64').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AbortError);
    expect(missing).toMatchObject({
      message: `${buildAddress('app', 'base', '3.0.0', 'linux/arm64')} is needed as a base image but is neither recorded nor published.`,
      nextSteps: `Apply it first: mirror apply --target ${indexAddress('app', 'base', '3.0.0')}`,
    });
    await expect(imageRef(ctx, 'app', 'base', '9.9.9', 'linux/amd64')).rejects.toThrow('is needed as a base image but is neither recorded nor published');
  });
});

describe('imageRef of a base whose index names platform variants', () => {
  it('finds linux/arm64 in an index entry of linux/arm64/v8 (what merge writes from an arm64 image config), never linux/arm in linux/arm64', async () => {
    // Given base 6.0.0 published as an index whose arm64 entry says variant v8 (no state record)
    const arm = await pushTestImage(backend, 'variant', { architecture: 'arm64', variant: 'v8', content: 'v8' });
    const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [arm] }));
    await backend.putManifest('variant', '6.0.0', bytes, MediaType.OciIndex);
    const { ctx } = contextWith(newState());
    // Then a linux/arm64 build gets that entry
    expect(await imageRef(ctx, 'app', 'variant', '6.0.0', 'linux/arm64')).toBe(`${backend.repository('variant')}@${arm.digest}`);
    // And a linux/arm build does not (arm64 is not a variant of arm)
    await expect(imageRef(ctx, 'app', 'variant', '6.0.0', 'linux/arm')).rejects.toThrow('is needed as a base image but is neither recorded nor published');
  });
});

describe('entryFor (the index entry a build of a platform takes)', () => {
  const d = (platform: string) => ({ mediaType: MediaType.OciManifest, digest: `sha256:${platform.replace(/\W/g, '')}`, size: 1, platform: { os: platform.split('/')[0], architecture: platform.split('/')[1], ...(platform.split('/')[2] ? { variant: platform.split('/')[2] } : {}) } });
  it('takes the exact platform before a variant, the one variant, or among several the default one', () => {
    expect(entryFor([d('linux/arm64/v8'), d('linux/arm64')], 'linux/arm64')?.digest).toBe(d('linux/arm64').digest);
    expect(entryFor([d('linux/amd64'), d('linux/arm64/v8')], 'linux/arm64')?.digest).toBe(d('linux/arm64/v8').digest);
    expect(entryFor([d('linux/arm/v6'), d('linux/arm/v7')], 'linux/arm')?.digest).toBe(d('linux/arm/v7').digest);
    expect(entryFor([d('linux/arm/v7'), d('linux/arm/v6')], 'linux/arm')?.digest).toBe(d('linux/arm/v7').digest);
    // Several variants and none the default: none (the error then says the base is not published)
    expect(entryFor([d('linux/ppc64le/a'), d('linux/ppc64le/b')], 'linux/ppc64le')).toBeUndefined();
    expect(entryFor([d('linux/arm64/v8')], 'linux/arm')).toBeUndefined();
  });
});

describe('imageRef of a base published without an index (mutation testing, issue 20)', () => {
  it('a version tag that serves a single-platform image is not a published base: the error says what to apply', async () => {
    // Given base 5.0.0 pushed by hand as one amd64 image under the version tag (no index, no `manifests`)
    await pushTestImage(backend, 'single', { architecture: 'amd64', tag: '5.0.0' });
    const { ctx } = contextWith(newState());
    // When a build needs it, then it is refused the way a missing base is, not with a TypeError
    const err = await imageRef(ctx, 'app', 'single', '5.0.0', 'linux/amd64').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).message).toBe(`${buildAddress('app', 'single', '5.0.0', 'linux/amd64')} is needed as a base image but is neither recorded nor published.`);
  });
});
