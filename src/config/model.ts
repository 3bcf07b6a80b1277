/**
 * The normalized config the planner and apply work from: defaults merged into every app,
 * single-image apps turned into one image, images ordered so a base comes before what is FROM it.
 */
import type { BuildIsolation } from '../providers/builder/types.js';
import type { FloatingTag, Patch, UpstreamConfig } from './schema.js';

export type { BuildIsolation };

/** Attestation settings after defaults. */
export interface AttestSettings {
  sbom: boolean;
  provenance: boolean;
  sign: 'keyless' | { key: string } | false;
}

/** Retention after defaults (null = never delete). */
export type RetentionSettings = {
  keepLatest?: number;
  keepTags?: string[];
  maxAgeDays?: number;
  protect?: string[];
} | null;

/** One image to build for every version of its app. */
export interface ImageSpec {
  name: string;
  source: { git: string; ref: string };
  context: string;
  dockerfile: string;
  buildArgs: Record<string, string>;
  patches: Patch[];
  dependsOn: string[];
}

/** One app with every default resolved. */
export interface AppSpec {
  name: string;
  upstream: UpstreamConfig;
  requires: string[];
  maxVersions: number;
  platforms: string[];
  builder: 'auto' | 'buildx' | 'buildah';
  /** buildah's isolation of build steps: `oci` (runc namespaces, the default) or `chroot` (unconfined, opt-in). */
  isolation: BuildIsolation;
  floatingTags: FloatingTag[];
  attest: AttestSettings;
  retention: RetentionSettings;
  /** Bases first (topological order of dependsOn). */
  images: ImageSpec[];
}

/** The resolved config. */
export interface ResolvedConfig {
  /** Absolute path of the file it came from. */
  file: string;
  /** `sha256:…` of the validated config with `env:` references unresolved (secrets never hashed). */
  hash: string;
  registry: { url: string; insecure: boolean; username?: string; password?: string };
  /** `path` is absolute; for the oci backend it is where local-only files (nothing today) would live. */
  state: { backend: 'file' | 'oci'; path: string; ref?: string };
  /** Runner label per platform for `mirror matrix` (defaults: GitHub's native x64 and arm64 runners). */
  runners?: Record<string, string>;
  apps: AppSpec[];
}

/** GitHub-hosted native runners (arm64 runners are free for public repositories since 2025). */
export const DEFAULT_RUNNERS: Record<string, string> = { 'linux/amd64': 'ubuntu-24.04', 'linux/arm64': 'ubuntu-24.04-arm' };

/** Built-in defaults (SPEC §2). */
export const DEFAULTS = {
  maxVersions: 10,
  platforms: ['linux/amd64', 'linux/arm64'],
  builder: 'auto' as const,
  floatingTags: ['latest'] as FloatingTag[],
  attest: { sbom: true, provenance: true, sign: 'keyless' as const },
  retention: null,
};
