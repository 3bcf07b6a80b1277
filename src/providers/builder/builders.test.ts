import { describe, expect, it } from 'vitest';
import type { RegistryBackend } from '../registry/types.js';
import { ExternalError } from '../../errors.js';
import { buildahBuildArgs, buildahEnv, isolationArgs, runcPath, untrustedBaseRegistry } from './buildah.js';
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

  it('buildah builds into local storage only (the push is by digest through mirror), never with TLS off for every registry', () => {
    const args = buildahBuildArgs(request, { root: '/r', runroot: '/rr' }, 'localhost/mirror-build-1');
    expect(args).toEqual(['--root', '/r', '--runroot', '/rr', '--storage-driver', 'vfs', 'build', '--isolation', 'oci', '--runtime', runcPath(), '--network', 'host', '--platform', 'linux/arm64',
      '--file', '/src/server/build/Dockerfile', '--tag', 'localhost/mirror-build-1', '--pull',
      '--build-arg', 'MM_PACKAGE=https://x/mm.tgz', '--label', 'org.opencontainers.image.version=10.3.1', '/src/server/build']);
    expect(args.some((a) => a.startsWith('docker://'))).toBe(false);
    // insecure is per registry (registries.conf), so the switch that covers every FROM never appears
    expect(buildahBuildArgs(request, { root: '/r', runroot: '/rr', insecureRegistries: ['127.0.0.1:5000'] }, 't').some((a) => a.startsWith('--tls-verify'))).toBe(false);
  });

  it('buildah gets the registries.conf through CONTAINERS_REGISTRIES_CONF only when one is written', () => {
    expect(buildahEnv()).toEqual({ STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'oci' });
    expect(buildahEnv({ registriesConf: '/tmp/x/registries.conf' })).toEqual({ STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'oci', CONTAINERS_REGISTRIES_CONF: '/tmp/x/registries.conf' });
    expect(buildahEnv({ authFile: '/tmp/x/auth.json' })).toEqual({ STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'oci', REGISTRY_AUTH_FILE: '/tmp/x/auth.json' });
    // its TMPDIR is its own (inside the storage root), never the temp dir holding the auth file
    expect(buildahEnv({ tmpDir: '/r/linux-amd64/tmp' }, 'chroot')).toEqual({ STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'chroot', TMPDIR: '/r/linux-amd64/tmp' });
  });

  it('OCI isolation (runc, host network) is the default; chroot only when the config asks for it', () => {
    expect(isolationArgs({})).toEqual(['--isolation', 'oci', '--runtime', runcPath(), '--network', 'host']);
    expect(isolationArgs({ isolation: 'oci', runtime: '/opt/runc' })).toEqual(['--isolation', 'oci', '--runtime', '/opt/runc', '--network', 'host']);
    expect(isolationArgs({ isolation: 'chroot' })).toEqual(['--isolation', 'chroot']);
    expect(runcPath((f) => f === '/usr/bin/runc')).toBe('/usr/bin/runc');
    expect(runcPath(() => false)).toBe('runc');
  });

  it('an untrusted base image registry is one line naming it and what insecure covers', () => {
    const stderr = 'STEP 1/2: FROM 127.0.0.1:5998/t/bb:1\nError: creating build container: initializing source docker://127.0.0.1:5998/t/bb:1: pinging container registry 127.0.0.1:5998: Get "https://127.0.0.1:5998/v2/": x509: certificate signed by unknown authority';
    const e = untrustedBaseRegistry(new ExternalError('buildah', ['build'], stderr), ['127.0.0.1:5000']);
    expect(e?.message).toBe('buildah build failed: base image registry 127.0.0.1:5998 presents a TLS certificate buildah cannot verify (x509: certificate signed by unknown authority); registry.insecure covers only 127.0.0.1:5000.');
    expect(e?.nextSteps).toContain('/etc/containers/certs.d/127.0.0.1:5998/ca.crt');
    expect(untrustedBaseRegistry(new ExternalError('buildah', ['build'], 'Error: building at STEP "RUN false": exit status 1'))).toBeUndefined();
  });
});
