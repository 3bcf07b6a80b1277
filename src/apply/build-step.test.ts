/**
 * The build step in-process (issue 20's mutation run found it reached only through CLI tests):
 * a real git source checked out at the upstream tag, real patches, a real registry; the builder is
 * a stand-in that records what it was asked and pushes a small image of that platform, so the test
 * sees exactly the request buildah or buildx would get and what the step records afterwards.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRepo, git, type FixtureRepo } from '../../test/rig/git.js';
import { pushTestImage } from '../../test/rig/oci.js';
import { startRegistry, type TestRegistry } from '../../test/rig/registry.js';
import { resolveConfig } from '../config/load.js';
import { AbortError, BugError } from '../errors.js';
import type { ActionOf, Plan } from '../plan/types.js';
import type { Builder, BuildRequest } from '../providers/builder/types.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import type { RegistryBackend } from '../providers/registry/types.js';
import { buildAddress } from '../state/addresses.js';
import { MemoryStateStore } from '../../test/state/memory-store.js';
import { newState } from '../state/new-state.js';
import type { ApplyContext } from './context.js';
import { StateRecorder } from './recorder.js';
import { SourceCache } from './source.js';
import { buildStep } from './steps.js';

let registry: TestRegistry;
let backend: RegistryBackend;
let repo: FixtureRepo;
let dir: string;
const caches: SourceCache[] = [];
beforeAll(async () => {
  registry = await startRegistry();
  backend = createRegistryBackend({ url: registry.url('build'), insecure: true }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5 });
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-build-step-'));
  repo = await createGitRepo(path.join(dir, 'src'), { files: { Dockerfile: 'FROM scratch\nARG V\n', 'web/Dockerfile': 'FROM base\nARG V\n' }, tags: ['v1.0.0'] });
});
afterAll(async () => {
  await Promise.all(caches.map((c) => c.cleanup()));
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A builder that records each request and pushes a one-layer image of the requested architecture. */
function recordingBuilder(): Builder & { requests: BuildRequest[] } {
  const requests: BuildRequest[] = [];
  return {
    name: 'buildah', requests,
    async build(request) {
      requests.push(request);
      const d = await pushTestImage(request.registry, request.image, { architecture: request.platform.split('/')[1], content: `${request.image} ${request.platform}` });
      return { digest: d.digest, mediaType: d.mediaType, size: d.size };
    },
    async close() { /* nothing kept */ },
  };
}

function setup(images: Record<string, unknown>, opts: { commit?: string; tags?: Record<string, string>; source?: { git: string; ref?: string } } = {}) {
  const config = resolveConfig({
    registry: { url: 'localhost:5000/ns' },
    defaults: { attest: { sbom: false, provenance: false, sign: false } },
    apps: { app: { upstream: { type: 'github-releases', repository: 'a/app' }, source: opts.source ?? { git: repo.url }, images } },
  }, path.join(dir, 'mirror.config.json'), {});
  const plan = { apps: [{ name: 'app', tags: opts.tags ?? { '1.0.0': 'v1.0.0' }, ...(opts.commit ? { commits: { '1.0.0': opts.commit } } : {}) }] } as unknown as Plan;
  const state = newState();
  const recorder = new StateRecorder(new MemoryStateStore(state), state, 'tester@host');
  const builder = recordingBuilder();
  const logs: string[] = [];
  const sources = new SourceCache();
  caches.push(sources);
  const ctx: ApplyContext = { config, plan, registry: backend, recorder, sources, builder: async () => builder, log: (_id, line) => logs.push(line), who: 'tester@host' };
  return { ctx, recorder, builder, logs, sources };
}

const buildAction = (image: string, platform = 'linux/amd64', app = 'app', multi = true): ActionOf<'build'> => {
  const address = buildAddress(app, multi ? image : app, '1.0.0', platform);
  return { id: `build:${address}`, type: 'build', address, app, image, version: '1.0.0', platform, reason: 'test', dependsOn: [] };
};

describe('build step (real git source and registry)', () => {
  it('hands the builder the patched checkout, rendered build args and labels, and records the build with its upstream', async () => {
    // Given one image with a templated build arg and two patches
    const { ctx, recorder, builder, logs } = setup({ app: {
      buildArgs: { V: '{version}', PLAIN: 'x' },
      patches: [{ file: 'Dockerfile', after: '^ARG V$', insert: 'LABEL v={version}' }, { file: 'Dockerfile', replace: 'scratch', with: 'busybox' }],
    } }, { commit: repo.commits['v1.0.0'] });
    const action = buildAction('app', 'linux/arm64', 'app', false);
    // When the build step runs
    const digest = await buildStep(ctx, action);
    // Then the builder got the root context, the Dockerfile, the platform, rendered args and the labels
    const [req] = builder.requests;
    expect(req).toMatchObject({ context: '.', dockerfile: 'Dockerfile', platform: 'linux/arm64', buildArgs: { V: '1.0.0', PLAIN: 'x' }, image: 'app', mountFrom: [] });
    expect(req.labels).toMatchObject({ 'org.opencontainers.image.version': '1.0.0', 'org.opencontainers.image.revision': repo.commits['v1.0.0'], 'org.opencontainers.image.title': 'app' });
    expect(await readFile(path.join(req.sourceDir, 'Dockerfile'), 'utf8')).toBe('FROM busybox\nARG V\nLABEL v=1.0.0\n');
    expect(logs).toContain(`mirror: source ready at ${repo.commits['v1.0.0']} (2 patches applied)`);
    expect(logs).toContain(`mirror: pushed ${digest}`);
    // And the record says what was built from where, by which builder
    const argsHash = `sha256:${createHash('sha256').update(JSON.stringify([['PLAIN', 'x'], ['V', '1.0.0']])).digest('hex')}`;
    expect(recorder.state.resources[action.address]).toMatchObject({
      type: 'build', app: 'app', image: 'app', version: '1.0.0', platform: 'linux/arm64', digest, upstream: { tag: 'v1.0.0', commit: repo.commits['v1.0.0'] },
      builder: 'buildah', origin: 'built', buildArgsHash: argsHash,
    });
    expect(recorder.state.history.at(-1)).toMatchObject({ action: 'build', address: action.address, digest, upstream: { tag: 'v1.0.0', commit: repo.commits['v1.0.0'] } });
  });

  it("resolves {image:NAME} to the base's build of the same platform, mounts from it, and names the image in its errors", async () => {
    const { ctx, builder, logs } = setup({ base: {}, web: { dependsOn: ['base'], context: 'web', dockerfile: 'web/Dockerfile', buildArgs: { BASE: '{image:base}' }, patches: [{ file: 'web/Dockerfile', replace: 'FROM base', with: 'FROM base AS b' }] } });
    const baseDigest = await buildStep(ctx, buildAction('base'));
    await buildStep(ctx, buildAction('web'));
    expect(builder.requests[1]).toMatchObject({ context: 'web', dockerfile: 'web/Dockerfile', buildArgs: { BASE: `${backend.repository('base')}@${baseDigest}` }, mountFrom: ['base'] });
    expect(logs).toContain(`mirror: source ready at ${repo.commits['v1.0.0']} (1 patch applied)`);
    // A context or Dockerfile that is not in the source names the image's config path and what to change
    const missing = setup({ base: {}, web: { dependsOn: ['base'], context: 'nope' } });
    const ctxErr = await buildStep(missing.ctx, buildAction('base')).then(() => buildStep(missing.ctx, buildAction('web'))).catch((e: unknown) => e);
    expect(ctxErr).toBeInstanceOf(AbortError);
    expect(ctxErr).toMatchObject({ message: 'apps.app.images.web.context "nope" does not exist in the source.', nextSteps: 'Upstream may have moved it; update context in the config.' });
    const noFile = setup({ base: { dockerfile: 'Gone.Dockerfile' }, web: { dependsOn: ['base'] } });
    expect(await buildStep(noFile.ctx, buildAction('base')).catch((e: unknown) => e)).toMatchObject({
      message: 'apps.app.images.base.dockerfile "Gone.Dockerfile" does not exist in the source.', nextSteps: 'Upstream may have moved it; update dockerfile in the config.',
    });
  });

  it("refuses a checkout that is not the plan's commit for the tag, before building; a plan without the version's tag is a bug", async () => {
    const { ctx, builder } = setup({ app: {} }, { commit: 'f'.repeat(40) });
    await expect(buildStep(ctx, buildAction('app', 'linux/amd64', 'app', false))).rejects.toThrow(/f{40}/);
    expect(builder.requests).toEqual([]);
    const { ctx: noPlanTag } = setup({ app: {} }, { tags: {} });
    const bug = await buildStep(noPlanTag, buildAction('app', 'linux/amd64', 'app', false)).catch((e: unknown) => e);
    expect(bug).toBeInstanceOf(BugError);
    expect((bug as Error).message).toBe('plan has no upstream tag for app 1.0.0');
  });
});

describe('build step paths and refs (mutation testing, issue 20)', () => {
  // An upstream whose source repository names its tags its own way and commits symlinks out of the tree.
  let odd: FixtureRepo;
  beforeAll(async () => {
    odd = await createGitRepo(path.join(dir, 'odd'), { files: {}, tags: [] });
    await writeFile(path.join(odd.dir, 'Dockerfile'), 'FROM scratch\n');
    await symlink('/', path.join(odd.dir, 'ctx'));
    await writeFile(path.join(dir, 'host.Dockerfile'), 'FROM host\n');
    await symlink(path.join(dir, 'host.Dockerfile'), path.join(odd.dir, 'Host.Dockerfile'));
    await git(odd.dir, ['add', '-A']);
    await git(odd.dir, ['commit', '-q', '-m', 'release']);
    await git(odd.dir, ['tag', 'rel-1.0.0']);
  });

  it("binds the plan's commit only when the source is checked out at the upstream tag itself", async () => {
    // Given a source ref of another naming (rel-1.0.0 for upstream's v1.0.0) and an upstream commit from the upstream repository
    const { ctx, builder } = setup({ app: {} }, { commit: 'f'.repeat(40), source: { git: odd.url, ref: 'rel-{version}' } });
    // When built, then the upstream commit is not held against this other repository's tag: the build runs
    await buildStep(ctx, buildAction('app', 'linux/amd64', 'app', false));
    expect(builder.requests).toHaveLength(1);
  });

  it("refuses a context or Dockerfile that upstream's symlink takes out of the checkout, naming the app's config path", async () => {
    // Given a single-image app (its config path has no images.NAME part) whose context is a symlink to /
    const outCtx = setup({ app: { context: 'ctx' } }, { source: { git: odd.url, ref: 'rel-{version}' } });
    const ctxErr = await buildStep(outCtx.ctx, buildAction('app', 'linux/amd64', 'app', false)).catch((e: unknown) => e);
    expect(ctxErr).toBeInstanceOf(AbortError);
    expect((ctxErr as Error).message).toBe('apps.app.context "ctx" resolves through a symlink to /, outside the source tree; refusing to use it.');
    // and a Dockerfile that is a symlink to a file of the host
    const outFile = setup({ app: { dockerfile: 'Host.Dockerfile' } }, { source: { git: odd.url, ref: 'rel-{version}' } });
    const fileErr = await buildStep(outFile.ctx, buildAction('app', 'linux/amd64', 'app', false)).catch((e: unknown) => e);
    expect((fileErr as Error).message).toBe(`apps.app.dockerfile "Host.Dockerfile" resolves through a symlink to ${await realpath(path.join(dir, 'host.Dockerfile'))}, outside the source tree; refusing to use it.`);
    expect([...outCtx.builder.requests, ...outFile.builder.requests]).toEqual([]);
  });
});
