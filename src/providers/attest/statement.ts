/**
 * in-toto statements (v1) for a version's index: the SBOM (SPDX JSON predicate) and the SLSA
 * provenance v1 predicate. Pure: everything arrives as data, so the shapes are unit-tested.
 */
import { withoutCredentials } from '../../system/redact-url.js';
import { PREDICATE_TYPES, STATEMENT_TYPE } from './types.js';

/** An in-toto subject: what the statement is about (in-toto v1: name optional, cosign v3 leaves it out). */
export interface Subject {
  name?: string;
  digest: { sha256: string };
}

/** An in-toto statement. */
export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate: P;
}

/** A SLSA ResourceDescriptor (the fields mirror fills). */
export interface ResourceDescriptor {
  uri?: string;
  name?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** `sha256:<hex>` → an in-toto subject. */
export function subjectOf(name: string, digest: string): Subject {
  return { name, digest: { sha256: digest.replace(/^sha256:/, '') } };
}

/** The statement subjects of a version: its index, then each platform manifest. */
export function subjectsOf(repository: string, index: string, platforms: Array<{ platform: string; digest: string }>): Subject[] {
  return [subjectOf(repository, index), ...platforms.map((p) => subjectOf(repository, p.digest))];
}

/** An SBOM statement with an SPDX JSON document as predicate. */
export function sbomStatement(subject: Subject[], spdx: Record<string, unknown>): Statement {
  return { _type: STATEMENT_TYPE, subject, predicateType: PREDICATE_TYPES.sbom, predicate: spdx };
}

/** Provenance URLs never carry credentials (a signed statement is public and cannot be taken back). */
export { withoutCredentials };

/** What went into one version's build, gathered by the attest step. */
export interface ProvenanceInput {
  app: string;
  image: string;
  version: string;
  /** Registry repository of the image. */
  repository: string;
  upstream: { type: string; repository: string; tag: string };
  source: { git: string; ref: string; commit?: string };
  platforms: string[];
  subject: Subject[];
  /** Base images of each platform build, by digest (`repo[:tag]` + `sha256:…`). */
  baseImages: Array<{ platform: string; name: string; digest: string }>;
  /** Build-arg values per platform; URLs and `repo@sha256:` references become resolved dependencies. */
  buildArgs: Array<{ platform: string; name: string; value: string }>;
  builderId: string;
  invocationId: string;
  startedOn: string;
  finishedOn: string;
  mirrorVersion: string;
}

/** buildType of mirror's builds: one image per platform from a git tag, merged into an index. */
export const BUILD_TYPE = 'https://github.com/this-is-tobi/mirror/build-types/multi-arch-image/v1';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;
const DIGEST_REF = /^(\S+)@sha256:([a-f0-9]{64})$/;

/** Resolved dependencies: the upstream commit, base images by digest, every build-arg URL. */
function dependencies(input: ProvenanceInput): ResourceDescriptor[] {
  const deps: ResourceDescriptor[] = [{
    uri: `git+${withoutCredentials(input.source.git)}@refs/tags/${input.upstream.tag}`,
    ...(input.source.commit ? { digest: { gitCommit: input.source.commit } } : {}),
    name: 'source',
  }];
  const seen = new Set<string>();
  const add = (d: ResourceDescriptor) => {
    const key = JSON.stringify(d);
    if (!seen.has(key)) { seen.add(key); deps.push(d); }
  };
  for (const b of input.baseImages) {
    add({ uri: `oci://${withoutCredentials(b.name)}`, digest: { sha256: b.digest.replace(/^sha256:/, '') }, name: 'base-image', annotations: { platform: b.platform } });
  }
  for (const arg of input.buildArgs) {
    const ref = DIGEST_REF.exec(arg.value);
    if (ref) add({ uri: `oci://${ref[1]}`, digest: { sha256: ref[2] }, name: `build-arg:${arg.name}`, annotations: { platform: arg.platform } });
    else if (URL_LIKE.test(arg.value)) add({ uri: withoutCredentials(arg.value), name: `build-arg:${arg.name}`, annotations: { platform: arg.platform } });
  }
  return deps;
}

/** SLSA provenance v1 statement of a version's index. */
export function provenanceStatement(input: ProvenanceInput): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: input.subject,
    predicateType: PREDICATE_TYPES.provenance,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: {
          app: input.app,
          image: input.image,
          version: input.version,
          repository: input.repository,
          upstream: { type: input.upstream.type, repository: withoutCredentials(input.upstream.repository), tag: input.upstream.tag },
          source: { git: withoutCredentials(input.source.git), ref: input.source.ref },
          platforms: input.platforms,
        },
        resolvedDependencies: dependencies(input),
      },
      runDetails: {
        builder: { id: input.builderId, version: { mirror: input.mirrorVersion } },
        metadata: { invocationId: input.invocationId, startedOn: input.startedOn, finishedOn: input.finishedOn },
      },
    },
  };
}

/** The CI run (GitHub Actions) or the host, as SLSA builder id and invocation id. */
export function runIdentity(env: NodeJS.ProcessEnv, host: string, fallbackInvocation: string): { builderId: string; invocationId: string } {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run, GITHUB_RUN_ATTEMPT: attempt } = env;
  if (server && repo && run) {
    const runUrl = `${server}/${repo}/actions/runs/${run}`;
    return { builderId: runUrl, invocationId: attempt ? `${runUrl}/attempts/${attempt}` : runUrl };
  }
  return { builderId: `https://mirror.invalid/hosts/${encodeURIComponent(host)}`, invocationId: fallbackInvocation };
}

/**
 * The signature over an index digest as cosign v3 writes it (`cosign sign --new-bundle-format`,
 * cmd/cosign/cli/sign/sign.go signDigestBundle): an in-toto v1 statement whose one subject is
 * the digest alone (no name), predicateType https://sigstore.dev/cosign/sign/v1 and an empty
 * predicate. sigstore-go (and so `cosign verify`) accepts a DSSE bundle for an image only when
 * its payload is an in-toto statement with that digest among its subjects.
 */
export function cosignSignStatement(digest: string): Statement<Record<string, never>> {
  return { _type: STATEMENT_TYPE, subject: [{ digest: { sha256: digest.replace(/^sha256:/, '') } }], predicateType: PREDICATE_TYPES.signature, predicate: {} };
}
