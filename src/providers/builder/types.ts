/** Builder contracts: one platform image built from a prepared context and pushed by digest, no tag. */
import type { RegistryBackend } from '../registry/types.js';

/** How buildah confines RUN steps: `oci` (runc namespaces, default) or `chroot` (unconfined; config opt-in). */
export type BuildIsolation = 'oci' | 'chroot';

/** What to build. */
export interface BuildRequest {
  /** Checked-out, patched source root. */
  sourceDir: string;
  /** Build context relative to sourceDir. */
  context: string;
  /** Dockerfile relative to sourceDir. */
  dockerfile: string;
  platform: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Image name under registry.url; the push goes to backend.repository(image) by digest. */
  image: string;
  registry: RegistryBackend;
  /** Images on the same registry this one is built FROM: their layers are mounted, not sent again. */
  mountFrom?: string[];
  /** Plain HTTP / no TLS verification for the target registry (and only it). */
  insecureRegistry?: string;
  /** Build log lines, for ::group:: blocks and the live view. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** What a build pushed. */
export interface BuildResult {
  digest: string;
  mediaType: string;
  size: number;
}

/** A container builder. */
export interface Builder {
  readonly name: 'buildah' | 'buildx';
  build(request: BuildRequest): Promise<BuildResult>;
  /** Remove what the builder keeps for the run (buildah's storage root). */
  close(): Promise<void>;
}
