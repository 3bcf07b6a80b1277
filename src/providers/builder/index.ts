/** `builder: auto | buildx | buildah` → a Builder. */
import path from 'node:path';
import { execa } from 'execa';
import { AbortError } from '../../errors.js';
import { tempDir } from '../../system/run-dir.js';
import type { BuildCredentials } from './auth-file.js';
import { BuildahBuilder } from './buildah.js';
import { BuildxBuilder } from './buildx.js';
import type { BuildIsolation, Builder } from './types.js';

async function answers(command: string, args: string[]): Promise<boolean> {
  const r = await execa(command, args, { reject: false, timeout: 10_000 });
  return r.exitCode === 0;
}

/** Said by validate and once per apply for an app with `isolation: 'chroot'`: its upstream code then runs unconfined. */
export function unconfinedWarning(app: string): string {
  return `apps.${app} builds with buildah isolation 'chroot': upstream build steps run unconfined (they see the host's /proc and can escape to the host, its files and mirror's credentials); remove isolation: 'chroot' to build under OCI isolation.`;
}

/** Pick the builder: buildx when a docker daemon answers, else buildah, else an error saying what to install. */
export async function createBuilder(kind: 'auto' | 'buildx' | 'buildah', opts: { workDir?: string; insecureRegistries?: string[]; credentials?: BuildCredentials; cacheDir?: string; isolation?: BuildIsolation } = {}): Promise<Builder> {
  const buildah = async () => {
    const owned = opts.workDir ? undefined : await tempDir('mirror-buildah-');
    const root = opts.workDir ?? (owned as string);
    return new BuildahBuilder({ root: path.join(root, 'root'), runroot: path.join(root, 'runroot'), insecureRegistries: opts.insecureRegistries, credentials: opts.credentials, ownedDir: owned, isolation: opts.isolation });
  };
  if (kind === 'buildah') return buildah();
  if (kind === 'buildx') return new BuildxBuilder({ cacheDir: opts.cacheDir });
  if (await answers('docker', ['info', '--format', '{{.ServerVersion}}'])) return new BuildxBuilder({ cacheDir: opts.cacheDir });
  if (await answers('buildah', ['--version'])) return buildah();
  throw new AbortError('No builder found: no docker daemon answers and buildah is not installed.',
    'Install buildah (apt-get install buildah), or Docker with the buildx plugin; arm64 on amd64 also needs qemu-user-static.');
}
