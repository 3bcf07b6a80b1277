import { describe, expect, it } from 'vitest';
import type { RegistryBackend } from '../registry/types.js';
import { buildahBuildArgs } from './buildah.js';
import { buildxArgs } from './buildx.js';
import type { BuildRequest } from './types.js';

const request: BuildRequest = {
  sourceDir: '/src', context: 'server/build', dockerfile: 'server/build/Dockerfile', platform: 'linux/arm64',
  buildArgs: { MM_PACKAGE: 'https://x/mm.tgz' }, labels: { 'org.opencontainers.image.version': '10.3.1' },
  image: 'mattermost', registry: {} as RegistryBackend,
};

describe('builder argument lists', () => {
  it('buildx pushes by digest with no tag, metadata file, no provenance, rotated local cache', () => {
    expect(buildxArgs(request, 'ghcr.io/o/mirror/mattermost', '/tmp/m.json', '/cache/linux-arm64')).toEqual([
      'buildx', 'build', '--platform', 'linux/arm64', '--file', '/src/server/build/Dockerfile',
      '--output', 'type=image,name=ghcr.io/o/mirror/mattermost,push-by-digest=true,name-canonical=true,push=true',
      '--metadata-file', '/tmp/m.json', '--provenance=false',
      '--cache-from', 'type=local,src=/cache/linux-arm64', '--cache-to', 'type=local,dest=/cache/linux-arm64-new,mode=max',
      '--build-arg', 'MM_PACKAGE=https://x/mm.tgz', '--label', 'org.opencontainers.image.version=10.3.1', '/src/server/build',
    ]);
  });

  it('buildah builds into local storage only (the push is by digest through mirror), plain HTTP only when asked', () => {
    const args = buildahBuildArgs(request, { root: '/r', runroot: '/rr' }, 'localhost/mirror-build-1');
    expect(args).toEqual(['--root', '/r', '--runroot', '/rr', '--storage-driver', 'vfs', 'build', '--isolation', 'chroot', '--platform', 'linux/arm64',
      '--file', '/src/server/build/Dockerfile', '--tag', 'localhost/mirror-build-1', '--pull',
      '--build-arg', 'MM_PACKAGE=https://x/mm.tgz', '--label', 'org.opencontainers.image.version=10.3.1', '/src/server/build']);
    expect(args.some((a) => a.startsWith('docker://'))).toBe(false);
    expect(buildahBuildArgs(request, { root: '/r', runroot: '/rr', insecureRegistries: ['127.0.0.1:5000'] }, 't')).toContain('--tls-verify=false');
  });
});
