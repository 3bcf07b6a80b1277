/** Plan inputs for the pure diff tests: what observe would have read, built from a few literals. */
import { emptyRepository, type Observed, type ObservedRepository } from '../../src/plan/observed.js';

/** One repository as observed: `tags` (a digest, or `true` for a tag listed without one), manifests read, attestations found. */
export interface RepoSpec {
  tags?: Record<string, string | true>;
  manifests?: string[];
  attested?: Array<[string, Array<'sbom' | 'provenance' | 'signature'>]>;
}

/** The repository `spec` describes. */
export function observedRepo(spec: RepoSpec): ObservedRepository {
  const repo = emptyRepository();
  for (const [tag, digest] of Object.entries(spec.tags ?? {})) {
    repo.tags.add(tag);
    if (digest !== true) repo.tagDigests.set(tag, digest);
  }
  for (const m of spec.manifests ?? []) repo.manifests.set(m, true);
  if (spec.attested) repo.attested = new Map(spec.attested);
  return repo;
}

/** Each app's window (versions newest first, upstream tag `v<version>`) and each image's repository. */
export function observedWorld(windows: Record<string, string[]>, repos: Record<string, RepoSpec> = {}): Observed {
  return {
    windows: new Map(Object.entries(windows).map(([app, versions]) => [app, versions.map((v) => ({ version: v, tag: `v${v}` }))])),
    registry: new Map(Object.entries(repos).map(([image, spec]) => [image, observedRepo(spec)])),
  };
}
