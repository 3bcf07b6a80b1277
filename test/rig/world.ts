/**
 * The seed-shaped world in one call: a real registry, the upstream emulator loaded with the seed
 * apps, and a temp directory holding a mirror.config.json that points at both. Used by e2e tests
 * and `npm run demo`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MirrorConfig } from '../../src/config/schema.js';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import type { RegistryBackend } from '../../src/providers/registry/types.js';
import { pushTestImage, pushTestIndex } from './oci.js';
import { startRegistry, type TestRegistry } from './registry.js';
import {
  MATTERMOST_RELEASES, MOSTLYMATTER_MISSING_ARM64, MOSTLYMATTER_TAGS, OUTLINE_RELEASES, mostlymatterBinaryPath,
} from './seed-world.js';
import { createSeedSources, type SeedSources } from './sources.js';
import { startUpstreamEmulator, type UpstreamEmulator } from './upstream.js';

/** A running seed world. */
export interface SeedWorld {
  dir: string;
  sources?: SeedSources;
  configPath: string;
  config: MirrorConfig;
  registry: TestRegistry;
  upstream: UpstreamEmulator;
  /** A backend on the world's registry (for seeding and checking from the test side). */
  backend: RegistryBackend;
  writeConfig(config: MirrorConfig): Promise<void>;
  stop(): Promise<void>;
}

/** The seed apps' config against the local emulators (SPEC §2 shape, local URLs). */
export function seedConfig(registryUrl: string, upstreamUrl: string, repos?: { mattermost: string; mostlymatter: string; outline: string }, stateDir = '.mirror'): MirrorConfig {
  const git = (app: string) => repos?.[app as keyof typeof repos] ?? `${upstreamUrl}/git/${app}.git`;
  return {
    registry: { url: registryUrl, insecure: true },
    state: { path: `${stateDir}/state.json` },
    defaults: { maxVersions: 10, platforms: ['linux/amd64', 'linux/arm64'], floatingTags: ['latest'], attest: { sbom: true, provenance: true, sign: { key: 'env:MIRROR_SIGNING_KEY' } } },
    apps: {
      mattermost: {
        upstream: { type: 'github-releases', repository: 'mattermost/mattermost', apiUrl: upstreamUrl },
        source: { git: git('mattermost'), ref: 'v{version}' },
        context: 'server/build', dockerfile: 'server/build/Dockerfile',
        buildArgs: { MM_PACKAGE: `${upstreamUrl}/releases/{version}/mattermost-{version}-linux-{arch}.tar.gz?src=docker` },
        patches: [{ unpinDigests: true }],
      },
      mostlymatter: {
        upstream: { type: 'gitlab-tags', baseUrl: upstreamUrl, project: 'framasoft/framateam/mostlymatter', tagPattern: '^v(\\d+\\.\\d+\\.\\d+)-limitless$' },
        requires: [`${upstreamUrl}/projects/mostlymatter/mostlymatter-{arch}-v{version}`],
        source: { git: git('mostlymatter'), ref: '{tag}' },
        context: 'server/build', dockerfile: 'server/build/Dockerfile',
        buildArgs: {
          MM_PACKAGE: `${upstreamUrl}/releases/{version}/mattermost-{version}-linux-{arch}.tar.gz`,
          MOSTLYMATTER_BINARY: `${upstreamUrl}/projects/mostlymatter/mostlymatter-{arch}-v{version}`,
        },
        patches: [
          { unpinDigests: true },
          { file: 'server/build/Dockerfile', after: '^ARG MM_PACKAGE=.*$', insert: 'ARG MOSTLYMATTER_BINARY' },
          { file: 'server/build/Dockerfile', replace: 'curl -L $MM_PACKAGE | tar -xvz',
            with: 'curl -L $MM_PACKAGE | tar -xvz && rm /mattermost/bin/mattermost && curl -L $MOSTLYMATTER_BINARY -o /mattermost/bin/mattermost && chmod +x /mattermost/bin/mattermost' },
        ],
      },
      outline: {
        upstream: { type: 'github-releases', repository: 'outline/outline', apiUrl: upstreamUrl },
        source: { git: git('outline'), ref: 'v{version}' },
        images: {
          'base-outline': { dockerfile: 'Dockerfile.base' },
          outline: { dockerfile: 'Dockerfile', dependsOn: ['base-outline'], buildArgs: { BASE_IMAGE: '{image:base-outline}' } },
        },
      },
    },
  };
}

/** Load the seed apps into an emulator; `perPage` small forces pagination like a long release history. */
export function loadSeedUpstream(upstream: UpstreamEmulator, perPage = 5): void {
  upstream.setMaxPerPage(perPage);
  upstream.github.setReleases('mattermost/mattermost', MATTERMOST_RELEASES);
  upstream.github.setReleases('outline/outline', OUTLINE_RELEASES);
  upstream.gitlab.setTags('framasoft/framateam/mostlymatter', MOSTLYMATTER_TAGS);
  for (const tag of MOSTLYMATTER_TAGS) {
    const version = /^v(\d+\.\d+\.\d+)-limitless$/.exec(tag)?.[1];
    if (!version) continue;
    for (const arch of ['amd64', 'arm64']) {
      if (arch === 'arm64' && MOSTLYMATTER_MISSING_ARM64.includes(version)) continue;
      upstream.files.set(mostlymatterBinaryPath(arch, version), `#!/bin/sh\necho mostlymatter ${version} ${arch}\n`);
    }
  }
}

/** Publish versions the way a finished apply would (two-platform index under the version tag), plus floating tags. */
export async function publishVersions(backend: RegistryBackend, image: string, versions: string[], floating: Record<string, string> = {}): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const version of versions) {
    const amd = await pushTestImage(backend, image, { architecture: 'amd64', content: `${image} ${version} amd64` });
    const arm = await pushTestImage(backend, image, { architecture: 'arm64', content: `${image} ${version} arm64` });
    digests[version] = (await pushTestIndex(backend, image, version, [amd, arm])).digest;
  }
  for (const [tag, version] of Object.entries(floating)) {
    const { bytes, descriptor } = await backend.getManifest(image, version);
    await backend.putManifest(image, tag, bytes, descriptor.mediaType);
  }
  return digests;
}

/** Start the seed world; `sources` also creates buildable upstream repositories for those versions. */
export async function startSeedWorld(opts: { perPage?: number; sources?: { mattermost: string[]; mostlymatter: string[]; outline: string[] } } = {}): Promise<SeedWorld> {
  const [registry, upstream] = await Promise.all([startRegistry(), startUpstreamEmulator()]);
  loadSeedUpstream(upstream, opts.perPage);
  const dir = await mkdtemp(path.join(tmpdir(), 'mirror-world-'));
  const configPath = path.join(dir, 'mirror.config.json');
  const backend = createRegistryBackend({ url: registry.url('mirror'), insecure: true }, { env: {} });
  const sources = opts.sources ? await createSeedSources(dir, backend, upstream, opts.sources) : undefined;
  // The GitLab project and the repository built from are the same upstream: tags name its real commits.
  if (sources) upstream.gitlab.setTags('framasoft/framateam/mostlymatter', MOSTLYMATTER_TAGS, sources.commits.mostlymatter);
  const config = seedConfig(registry.url('mirror'), upstream.url, sources?.repos);
  const world: SeedWorld = {
    dir, configPath, config, registry, upstream, backend, sources,
    writeConfig: async (c) => { world.config = c; await writeFile(configPath, JSON.stringify(c, null, 2)); },
    stop: async () => {
      await backend.close();
      await Promise.all([registry.stop(), upstream.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await world.writeConfig(config);
  return world;
}
