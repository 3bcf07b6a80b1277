import { describe, expect, it } from 'vitest';
import { provenanceStatement, runIdentity, subjectsOf, withoutCredentials, type ProvenanceInput } from './statement.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;

describe('SLSA provenance v1 statement', () => {
  const input: ProvenanceInput = {
    app: 'outline', image: 'outline', version: '1.10.0', repository: 'reg/ns/outline',
    upstream: { type: 'github-releases', repository: 'outline/outline', tag: 'v1.10.0' },
    source: { git: 'https://user:secret@git.example/outline.git', ref: 'v1.10.0', commit: 'c0ffee' },
    platforms: ['linux/amd64', 'linux/arm64'],
    subject: subjectsOf('reg/ns/outline', d('a'), [{ platform: 'linux/amd64', digest: d('b') }, { platform: 'linux/arm64', digest: d('c') }]),
    baseImages: [{ platform: 'linux/amd64', name: 'reg/ns/base:1', digest: d('e') }, { platform: 'linux/arm64', name: 'reg/ns/base:1', digest: d('f') }],
    buildArgs: [
      { platform: 'linux/amd64', name: 'PKG', value: 'https://dl.example/1.10.0-amd64.tgz' },
      { platform: 'linux/amd64', name: 'BASE_IMAGE', value: `reg/ns/base-outline@${d('9')}` },
      { platform: 'linux/amd64', name: 'FLAVOUR', value: 'slim' },
      // Pre-signed and token download URLs: the token is a credential, the rest of the URL is the dependency.
      { platform: 'linux/amd64', name: 'GL', value: 'https://gitlab.example/api/v4/projects/1/packages/x.tgz?private_token=glpat-secret1&v=2' },
      { platform: 'linux/amd64', name: 'S3', value: 'https://bucket.example/x.tgz?X-Amz-Credential=secret2&X-Amz-Signature=secret3&X-Amz-Security-Token=secret4' },
      { platform: 'linux/amd64', name: 'TOK', value: 'https://dl.example/y.tgz?access_token=secret5&token=secret6' },
    ],
    builderId: 'https://github.com/o/r/actions/runs/1', invocationId: 'https://github.com/o/r/actions/runs/1/attempts/2',
    startedOn: '2025-01-01T00:00:00Z', finishedOn: '2025-01-01T00:05:00Z', mirrorVersion: '0.1.0',
  };

  it('names the upstream commit, every base image by digest and every build-arg URL; subject = index + platforms', () => {
    const s = provenanceStatement(input) as any;
    expect(s._type).toBe('https://in-toto.io/Statement/v1');
    expect(s.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(s.subject.map((x: any) => x.digest.sha256)).toEqual(['a', 'b', 'c'].map((c) => c.repeat(64)));
    expect(s.predicate.buildDefinition.externalParameters).toMatchObject({ app: 'outline', version: '1.10.0', upstream: { repository: 'outline/outline', tag: 'v1.10.0' }, platforms: ['linux/amd64', 'linux/arm64'] });
    const deps = s.predicate.buildDefinition.resolvedDependencies;
    expect(deps[0]).toEqual({ uri: 'git+https://git.example/outline.git@refs/tags/v1.10.0', digest: { gitCommit: 'c0ffee' }, name: 'source' });
    expect(deps.filter((x: any) => x.name === 'base-image').map((x: any) => x.digest.sha256)).toEqual(['e'.repeat(64), 'f'.repeat(64)]);
    expect(deps.find((x: any) => x.name === 'build-arg:PKG').uri).toBe('https://dl.example/1.10.0-amd64.tgz');
    expect(deps.find((x: any) => x.name === 'build-arg:BASE_IMAGE')).toMatchObject({ uri: 'oci://reg/ns/base-outline', digest: { sha256: '9'.repeat(64) } });
    expect(deps.some((x: any) => x.name === 'build-arg:FLAVOUR')).toBe(false);
    expect(s.predicate.runDetails).toEqual({ builder: { id: input.builderId, version: { mirror: '0.1.0' } }, metadata: { invocationId: input.invocationId, startedOn: input.startedOn, finishedOn: input.finishedOn } });
    // And no credential of the source URL or of a build-arg URL appears anywhere; other query parameters stay
    expect(JSON.stringify(s)).not.toContain('secret');
    expect(deps.find((x: any) => x.name === 'build-arg:GL').uri).toBe('https://gitlab.example/api/v4/projects/1/packages/x.tgz?v=2');
    expect(deps.find((x: any) => x.name === 'build-arg:S3').uri).toBe('https://bucket.example/x.tgz');
  });

  it('takes the builder from the GitHub Actions run, else the host', () => {
    expect(runIdentity({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7' }, 'h', 'urn:uuid:x')).toEqual({ builderId: 'https://github.com/o/r/actions/runs/7', invocationId: 'https://github.com/o/r/actions/runs/7' });
    expect(runIdentity({}, 'box', 'urn:uuid:x')).toEqual({ builderId: 'https://mirror.invalid/hosts/box', invocationId: 'urn:uuid:x' });
    expect(withoutCredentials('https://a:b@h/x?y=1')).toBe('https://h/x?y=1');
  });
});
