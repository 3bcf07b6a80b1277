/**
 * Reading what a version tag holds decides adoption: an index with every configured platform is
 * imported as is, anything less is rebuilt. Attestation entries (`unknown/unknown`) are no platform.
 */
import { describe, expect, it } from 'vitest';
import { missingPlatforms, readRegistryVersion } from './observed.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const bytes = (v: unknown) => new Uint8Array(Buffer.from(JSON.stringify(v)));
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const entry = (c: string, platform?: Record<string, string>) => ({ digest: D(c), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 7, ...(platform ? { platform } : {}) });

describe('readRegistryVersion', () => {
  it('reads an index: platforms with variant, attestation and platform-less entries left out', () => {
    const body = bytes({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [
      entry('a', { os: 'linux', architecture: 'amd64' }), entry('b', { os: 'linux', architecture: 'arm', variant: 'v7' }),
      entry('c', { os: 'unknown', architecture: 'unknown' }), entry('d'),
    ] });
    expect(readRegistryVersion({ digest: D('f'), mediaType: OCI_INDEX }, body)).toEqual({
      digest: D('f'), mediaType: OCI_INDEX, size: body.length,
      platforms: [
        { platform: 'linux/amd64', digest: D('a'), mediaType: entry('a').mediaType, size: 7 },
        { platform: 'linux/arm/v7', digest: D('b'), mediaType: entry('b').mediaType, size: 7 },
      ],
    });
  });

  it('takes the media type from the body when the registry sent none, and a manifests array marks an index', () => {
    const body = bytes({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry('a', { os: 'linux', architecture: 'amd64' })] });
    expect(readRegistryVersion({ digest: D('f'), mediaType: '' }, body)).toMatchObject({ mediaType: OCI_INDEX, platforms: [{ platform: 'linux/amd64' }] });
    const untyped = bytes({ schemaVersion: 2, manifests: [] });
    expect(readRegistryVersion({ digest: D('f'), mediaType: '' }, untyped)).toEqual({ digest: D('f'), mediaType: '', size: untyped.length, platforms: [] });
    // a Docker manifest list is an index too, even without a manifests array
    expect(readRegistryVersion({ digest: D('f'), mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' }, bytes({}))).toMatchObject({ platforms: [] });
  });

  it('reads a single-platform image as platforms null', () => {
    const body = bytes({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] });
    expect(readRegistryVersion({ digest: D('e'), mediaType: '' }, body)).toEqual({ digest: D('e'), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: body.length, platforms: null });
  });
});

describe('missingPlatforms', () => {
  const version = (platforms: string[] | null) => ({ digest: D('f'), mediaType: OCI_INDEX, size: 1, platforms: platforms && platforms.map((platform, i) => ({ platform, digest: D(String(i)), mediaType: 'm', size: 1 })) });
  it('is empty for an index holding every configured platform, names the ones it lacks, and is all of them for a single image', () => {
    expect(missingPlatforms(version(['linux/amd64', 'linux/arm64']), ['linux/amd64', 'linux/arm64'])).toEqual([]);
    expect(missingPlatforms(version(['linux/amd64']), ['linux/amd64', 'linux/arm64'])).toEqual(['linux/arm64']);
    expect(missingPlatforms(version([]), ['linux/amd64'])).toEqual(['linux/amd64']);
    expect(missingPlatforms(version(null), ['linux/amd64', 'linux/arm64'])).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('counts an entry of a variant for its platform (merge writes linux/arm64/v8 from an arm64 image config), never arm64 for arm', () => {
    expect(missingPlatforms(version(['linux/amd64', 'linux/arm64/v8']), ['linux/amd64', 'linux/arm64'])).toEqual([]);
    expect(missingPlatforms(version(['linux/arm64/v8']), ['linux/arm'])).toEqual(['linux/arm']);
  });
});
