/**
 * buildah: daemonless, rootless-capable, so it runs where no Docker engine does (CI containers,
 * this project's tests). Built images are pushed to a temporary OCI layout and uploaded by digest
 * through mirror's registry client: `buildah push docker://REPO` without a tag writes `:latest`.
 *
 * Upstream Dockerfiles are untrusted code. RUN steps run under OCI isolation by default: runc gives
 * each its own pid, mount, ipc and uts namespaces and a fresh /proc, so it sees neither the host's
 * processes nor its files (mirror's auth file included) and cannot write binfmt_misc. Only the
 * network is the host's, so downloads (`curl $MM_PACKAGE`) keep working. `chroot` isolation shares
 * the host's /proc and is escapable by a uid-0 step: it is an explicit, warned opt-in.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AbortError, ExternalError } from '../../errors.js';
import { run } from '../../system/exec.js';
import { tempDir } from '../../system/run-dir.js';
import { writeAuthFile, type BuildCredentials } from './auth-file.js';
import { writeRegistriesConf } from './registries-conf.js';
import type { BuildIsolation, BuildRequest, BuildResult, Builder } from './types.js';
import { uploadLayout } from './upload-layout.js';

/** buildah options. */
export interface BuildahOptions {
  /** Storage root shared by the builds of one apply (base layers pulled once). */
  root: string;
  runroot: string;
  /** Registries (host:port) reached without TLS verification or over plain HTTP (registry.insecure); no other. */
  insecureRegistries?: string[];
  /** Credentials of the configured registry, for base images pulled from it (see auth-file.ts). */
  credentials?: BuildCredentials;
  /** A directory this builder created and removes on close (holds root and runroot). */
  ownedDir?: string;
  /** How RUN steps are confined (default `oci`). */
  isolation?: BuildIsolation;
  /** The OCI runtime for `oci` isolation (default: runc found by runcPath()). */
  runtime?: string;
}

/**
 * runc's path. Debian and Ubuntu install it in /usr/sbin, which is not on a normal user's PATH, and
 * buildah resolves a bare `runc` through its own list; an absolute path makes the choice explicit.
 */
export function runcPath(exists: (file: string) => boolean = existsSync): string {
  return ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'].find((f) => exists(f)) ?? 'runc';
}

/** `--isolation …` and what goes with it: OCI isolation names its runtime and keeps the host network (downloads). */
export function isolationArgs(opts: Pick<BuildahOptions, 'isolation' | 'runtime'>): string[] {
  if (opts.isolation === 'chroot') return ['--isolation', 'chroot'];
  return ['--isolation', 'oci', '--runtime', opts.runtime ?? runcPath(), '--network', 'host'];
}

/** The `buildah build` argument list for a request (exported for tests). */
export function buildahBuildArgs(req: BuildRequest, opts: BuildahOptions, tag: string): string[] {
  const args = [...globalArgs(opts), 'build', ...isolationArgs(opts), '--platform', req.platform,
    '--file', path.join(req.sourceDir, req.dockerfile), '--tag', tag, '--pull'];
  // No --tls-verify=false: it would cover every registry a FROM names. See registries-conf.ts.
  for (const [k, v] of Object.entries(req.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(req.labels)) args.push('--label', `${k}=${v}`);
  args.push(path.join(req.sourceDir, req.context));
  return args;
}

function globalArgs(opts: BuildahOptions): string[] {
  return ['--root', opts.root, '--runroot', opts.runroot, '--storage-driver', 'vfs'];
}

const ENV = { STORAGE_DRIVER: 'vfs' };

/**
 * The environment of `buildah build`: its isolation (so nothing buildah starts falls back to another),
 * its own TMPDIR inside the storage root (never the dir holding the auth file), a registries.conf when
 * some registry is insecure, an auth file when the config has credentials (exported for tests).
 */
export function buildahEnv(files: { registriesConf?: string; authFile?: string; tmpDir?: string } = {}, isolation: BuildIsolation = 'oci'): Record<string, string> {
  return {
    ...ENV,
    BUILDAH_ISOLATION: isolation,
    ...(files.tmpDir ? { TMPDIR: files.tmpDir } : {}),
    ...(files.registriesConf ? { CONTAINERS_REGISTRIES_CONF: files.registriesConf } : {}),
    ...(files.authFile ? { REGISTRY_AUTH_FILE: files.authFile } : {}),
  };
}

/**
 * A base image on a registry whose certificate buildah cannot verify, said in one line (the live view
 * and the summary show only the first): which registry, and that registry.insecure does not cover it.
 */
export function untrustedBaseRegistry(error: unknown, insecure: readonly string[] = []): AbortError | undefined {
  if (!(error instanceof ExternalError)) return undefined;
  const m = /pinging container registry ([^\s:]+(?::\d+)?): [^\n]*?(x509: [^\n]*)/.exec(error.stderr);
  if (!m) return undefined;
  const scope = insecure.length > 0 ? `registry.insecure covers only ${insecure.join(', ')}` : 'registry.insecure covers only the registry of registry.url';
  return new AbortError(`buildah build failed: base image registry ${m[1]} presents a TLS certificate buildah cannot verify (${m[2]}); ${scope}.`,
    `Trust its CA for buildah: put it in /etc/containers/certs.d/${m[1]}/ca.crt (containers-certs.d(5)).`, { cause: error });
}

/** The buildah builder. */
export class BuildahBuilder implements Builder {
  readonly name = 'buildah' as const;
  /** registries.conf of the insecure registries and the auth file, written once per builder into one temp dir. */
  private files?: Promise<{ dir?: string; registriesConf?: string; authFile?: string }>;
  constructor(private readonly opts: BuildahOptions) {}

  private buildFiles(): Promise<{ dir?: string; registriesConf?: string; authFile?: string }> {
    const hosts = this.opts.insecureRegistries ?? [];
    const creds = this.opts.credentials;
    this.files ??= hosts.length === 0 && !creds ? Promise.resolve({}) : (async () => {
      const dir = await tempDir('mirror-buildah-conf-', { secret: true });
      return {
        dir,
        registriesConf: hosts.length > 0 ? await writeRegistriesConf(dir, hosts) : undefined,
        authFile: creds ? await writeAuthFile(dir, creds) : undefined,
      };
    })();
    return this.files;
  }

  /**
   * One storage root per platform: the executor runs one build per platform at a time, so no two
   * buildah processes share a root. Sharing one raced: pulling `base:1` for arm64 moves the name
   * off the amd64 image while a parallel amd64 build is resolving it ("image not known").
   */
  private rootFor(platform: string): BuildahOptions {
    const slug = platform.replace(/\//g, '-');
    return { ...this.opts, root: path.join(this.opts.root, slug), runroot: path.join(this.opts.runroot, slug) };
  }

  async close(): Promise<void> {
    const files = await this.files?.catch(() => undefined);
    // The auth file's dir first: a storage root a stopped build still writes in may fail to go,
    // and must not keep the credentials on disk. Each removal is tried whatever the others do.
    const results = await Promise.allSettled([files?.dir, this.opts.root, this.opts.runroot, this.opts.ownedDir]
      .map((dir) => (dir ? rm(dir, { recursive: true, force: true, maxRetries: 2 }) : undefined)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async build(req: BuildRequest): Promise<BuildResult> {
    const opts = this.rootFor(req.platform);
    const tag = `localhost/mirror-build-${randomBytes(6).toString('hex')}`;
    const steps = this.opts.isolation === 'chroot'
      ? 'Install buildah (apt-get install buildah); arm64 on amd64 also needs qemu-user-static and binfmt-support.'
      : 'Install buildah and runc (apt-get install buildah runc; build steps run under OCI isolation); arm64 on amd64 also needs qemu-user-static and binfmt-support.';
    const tmpDir = path.join(opts.root, 'tmp');
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const env = buildahEnv({ ...(await this.buildFiles()), tmpDir }, this.opts.isolation);
    await run('buildah', buildahBuildArgs(req, opts, tag), { env, log: req.log, signal: req.signal, nextSteps: steps }).catch((error: unknown) => {
      throw untrustedBaseRegistry(error, this.opts.insecureRegistries) ?? error;
    });
    req.log?.(`mirror: built ${req.platform}; pushing by digest`);
    const layout = await tempDir('mirror-oci-');
    try {
      await run('buildah', [...globalArgs(opts), 'push', '--quiet', tag, `oci:${layout}:image`], { env: ENV, log: req.log, signal: req.signal });
      return await uploadLayout(layout, req.registry, req.image, req.mountFrom, req.signal);
    } finally {
      await rm(layout, { recursive: true, force: true });
      await run('buildah', [...globalArgs(opts), 'rmi', tag], { env: ENV }).catch(() => undefined);
    }
  }
}
