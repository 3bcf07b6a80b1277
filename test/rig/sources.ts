/**
 * Seed-shaped sources for real builds: a busybox base image (amd64 from busybox-static, arm64 from
 * Debian's busybox-static:arm64) with a small `curl` shim, upstream git repositories shaped like
 * Mattermost's, Mostlymatter's and Outline's, and the release tarballs their Dockerfiles download.
 */
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { sha256 } from '../../src/providers/registry/http-backend.js';
import { MediaType, type Descriptor, type RegistryBackend } from '../../src/providers/registry/types.js';
import { createGitRepo } from './git.js';
import { tarWithFile } from './oci.js';
import type { UpstreamEmulator } from './upstream.js';

const CACHE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mirror-rig');

/** The busybox binary for an architecture. */
export function busyboxFor(arch: string): string {
  const file = arch === 'amd64' ? '/bin/busybox' : path.join(CACHE, `busybox-${arch}`, 'bin', 'busybox');
  if (!existsSync(file)) throw new Error(`${file} is missing: run scripts/ensure-tools.sh (npm test does) to install busybox-static and fetch busybox-static:${arch}`);
  return file;
}

// `curl -L URL [-o FILE]` over busybox wget: what the seed Dockerfiles call.
const CURL_SHIM = `#!/bin/sh
out=-
url=
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift 2 ;;
    -*) shift ;;
    *) url=$1; shift ;;
  esac
done
exec wget -q -O "$out" "$url"
`;

const APPLETS = ['sh', 'tar', 'gzip', 'wget', 'rm', 'mkdir', 'chmod', 'cat', 'echo', 'ls', 'cp', 'mv', 'uname', 'true', 'test', '['];

async function baseLayer(arch: string): Promise<Uint8Array> {
  const stage = await mkdtemp(path.join(os.tmpdir(), 'mirror-base-'));
  try {
    await mkdir(path.join(stage, 'bin'));
    await mkdir(path.join(stage, 'usr', 'bin'), { recursive: true });
    await mkdir(path.join(stage, 'tmp'));
    await copyFile(busyboxFor(arch), path.join(stage, 'bin', 'busybox'));
    await chmod(path.join(stage, 'bin', 'busybox'), 0o755);
    for (const applet of APPLETS) await symlink('busybox', path.join(stage, 'bin', applet));
    await writeFile(path.join(stage, 'usr', 'bin', 'curl'), CURL_SHIM, { mode: 0o755 });
    const { stdout } = await execa('tar', ['-C', stage, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--sort=name', '-cf', '-', '.'], { encoding: 'buffer' });
    return new Uint8Array(stdout);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

const json = (v: unknown) => new Uint8Array(Buffer.from(JSON.stringify(v)));

/** Push the two-platform busybox base as `image:1`; returns `repository:1@digest` (a pinned FROM). */
export async function pushBaseImage(backend: RegistryBackend, image = 'base-busybox'): Promise<string> {
  const entries: Descriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    const layer = await baseLayer(arch);
    const config = json({
      architecture: arch, os: 'linux', created: '1970-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, history: [{ created: '1970-01-01T00:00:00Z', created_by: 'mirror test rig: busybox' }],
    });
    await backend.putBlob(image, sha256(layer), layer);
    await backend.putBlob(image, sha256(config), config);
    const manifest = json({ schemaVersion: 2, mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }] });
    const put = await backend.putManifest(image, sha256(manifest), manifest, MediaType.OciManifest);
    entries.push({ ...put, platform: { os: 'linux', architecture: arch } });
  }
  const index = await backend.putManifest(image, '1', json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: entries }), MediaType.OciIndex);
  return `${backend.repository(image)}:1@${index.digest}`;
}

/** The Mattermost-shaped Dockerfile: a pinned FROM, ARG MM_PACKAGE, `curl -L $MM_PACKAGE | tar -xvz`. */
export function mattermostDockerfile(base: string): string {
  return `FROM ${base}\nARG MM_PACKAGE="https://releases.example.invalid/mattermost.tar.gz"\nRUN mkdir -p /mattermost && cd / && curl -L $MM_PACKAGE | tar -xvz\nCMD ["/mattermost/bin/mattermost"]\n`;
}

/** Git repositories of the seed apps, with one tag per version. */
export interface SeedSources {
  base: string;
  repos: { mattermost: string; mostlymatter: string; outline: string };
  commits: Record<string, Record<string, string>>;
}

/** Create the upstream repositories and serve the release tarballs for `versions` of each app. */
export async function createSeedSources(dir: string, backend: RegistryBackend, upstream: UpstreamEmulator, versions: { mattermost: string[]; mostlymatter: string[]; outline: string[] }): Promise<SeedSources> {
  const base = await pushBaseImage(backend);
  for (const v of new Set([...versions.mattermost, ...versions.mostlymatter])) {
    for (const arch of ['amd64', 'arm64']) {
      const tgz = gzipSync(tarWithFile('mattermost/bin/mattermost', `#!/bin/sh\necho mattermost ${v} ${arch}\n`));
      upstream.files.set(`/releases/${v}/mattermost-${v}-linux-${arch}.tar.gz`, Buffer.from(tgz));
    }
  }
  const mm = await createGitRepo(path.join(dir, 'git', 'mattermost'), { files: { 'server/build/Dockerfile': mattermostDockerfile(base) }, tags: versions.mattermost.map((v) => `v${v}`) });
  const mostly = await createGitRepo(path.join(dir, 'git', 'mostlymatter'), { files: { 'server/build/Dockerfile': mattermostDockerfile(base) }, tags: versions.mostlymatter.map((v) => `v${v}-limitless`) });
  const outline = await createGitRepo(path.join(dir, 'git', 'outline'), {
    files: {
      'Dockerfile.base': `FROM ${base}\nRUN echo "outline base {tag}" > /base.txt\n`,
      Dockerfile: 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN cat /base.txt && echo "outline app {tag}" > /app.txt\n',
    },
    tags: versions.outline.map((v) => `v${v}`),
  });
  return { base, repos: { mattermost: mm.url, mostlymatter: mostly.url, outline: outline.url }, commits: { mattermost: mm.commits, mostlymatter: mostly.commits, outline: outline.commits } };
}
