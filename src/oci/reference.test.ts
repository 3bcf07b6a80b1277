/**
 * The reference grammar (registry.url, image references, tags, digests) at its edges: what is
 * refused and how the refusal reads (a password in the URL is never echoed), Docker Hub's names,
 * and where a tag ends and a port begins.
 */
import { describe, expect, it } from 'vitest';
import { AbortError } from '../errors.js';
import { isDigest, isValidTag, parseImageReference, parseRegistryUrl } from './reference.js';

const H = 'a'.repeat(64);
const refusal = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(AbortError); return e as AbortError; } throw new Error('not refused'); };

describe('tags and digests', () => {
  it('a tag is 1 to 128 characters of the OCI grammar; a digest is sha256 and 64 lower-case hex', () => {
    expect(isValidTag('_a.b-c')).toBe(true);
    expect(isValidTag('a'.repeat(128))).toBe(true);
    expect(isValidTag('a'.repeat(129))).toBe(false);
    expect(isValidTag('-a')).toBe(false);
    expect(isValidTag('x/y')).toBe(false);
    expect(isDigest(`sha256:${H}`)).toBe(true);
    expect(isDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isDigest(`sha512:${H}`)).toBe(false);
    expect(isDigest(`sha256:${H}0`)).toBe(false);
    expect(isDigest(` sha256:${H}`)).toBe(false);
  });
});

describe('parseRegistryUrl', () => {
  it('strips a scheme and trailing slashes; docker.io means its API host; a port and an IPv6 host are fine', () => {
    expect(parseRegistryUrl('https://ghcr.io/org/mirror/')).toEqual({ kind: 'http', host: 'ghcr.io', namespace: 'org/mirror' });
    expect(parseRegistryUrl('http://localhost:5000/ns')).toEqual({ kind: 'http', host: 'localhost:5000', namespace: 'ns' });
    expect(parseRegistryUrl('docker://docker.io/me')).toEqual({ kind: 'http', host: 'registry-1.docker.io', namespace: 'me' });
    expect(parseRegistryUrl('[::1]:5000/a__b/c-d')).toEqual({ kind: 'http', host: '[::1]:5000', namespace: 'a__b/c-d' });
    expect(parseRegistryUrl('registry.local')).toEqual({ kind: 'http', host: 'registry.local', namespace: '' });
  });

  it('an oci: URL needs a directory', () => {
    expect(refusal(() => parseRegistryUrl('oci:')).message).toBe('registry.url "oci:" needs a directory, e.g. oci:./.mirror/oci.');
  });

  it('refuses credentials in the URL without echoing them, and says where they go', () => {
    const e = refusal(() => parseRegistryUrl('https://ci:hunter2@ghcr.io/org'));
    expect(e.message).toBe('registry.url "***@ghcr.io/org" is not host[:port]/namespace.');
    expect(e.message).not.toContain('hunter2');
    expect(e.nextSteps).toBe('Credentials go in registry.username/password (e.g. env:MIRROR_REGISTRY_PASSWORD), not in the URL. Example: ghcr.io/my-org/mirror, or oci:./.mirror/oci for a directory.');
  });

  it('refuses an upper-case path suggesting the lower-case one; other bad URLs get the example only', () => {
    const upper = refusal(() => parseRegistryUrl('ghcr.io/My-Org/Mirror'));
    expect(upper.message).toBe('registry.url "ghcr.io/My-Org/Mirror" is not host[:port]/namespace.');
    expect(upper.nextSteps).toBe('Repository paths are lower case (ghcr.io/my-org/mirror). Example: ghcr.io/my-org/mirror, or oci:./.mirror/oci for a directory.');
    expect(refusal(() => parseRegistryUrl('ghcr.io/a b')).nextSteps).toBe('Example: ghcr.io/my-org/mirror, or oci:./.mirror/oci for a directory.');
    expect(refusal(() => parseRegistryUrl('-bad.host/ns')).nextSteps).toBe('Example: ghcr.io/my-org/mirror, or oci:./.mirror/oci for a directory.');
    expect(() => parseRegistryUrl('host:123456/ns')).toThrow(AbortError);
    expect(() => parseRegistryUrl('ftp://host/ns')).toThrow(AbortError);
  });
});

describe('parseImageReference', () => {
  it('Docker Hub: short names get library/ and the API host, docker.io is that host, a user repository stays', () => {
    expect(parseImageReference('node:22')).toEqual({ host: 'registry-1.docker.io', repository: 'library/node', tag: '22' });
    expect(parseImageReference('docker.io/library/node')).toEqual({ host: 'registry-1.docker.io', repository: 'library/node' });
    expect(parseImageReference('docker.io/node')).toEqual({ host: 'registry-1.docker.io', repository: 'library/node' });
    expect(parseImageReference('me/app')).toEqual({ host: 'registry-1.docker.io', repository: 'me/app' });
  });

  it('a first part with a dot, a port or localhost is a host; a colon after the last slash is a tag, not a port', () => {
    expect(parseImageReference('ghcr.io/o/r:v1')).toEqual({ host: 'ghcr.io', repository: 'o/r', tag: 'v1' });
    expect(parseImageReference('localhost/app')).toEqual({ host: 'localhost', repository: 'app' });
    expect(parseImageReference('reg:5000/app')).toEqual({ host: 'reg:5000', repository: 'app' });
    expect(parseImageReference(`ghcr.io/o/r@sha256:${H}`)).toEqual({ host: 'ghcr.io', repository: 'o/r', digest: `sha256:${H}` });
  });

  it('refuses an invalid repository, tag or digest, naming the reference', () => {
    expect(refusal(() => parseImageReference('ghcr.io/O/r')).message).toBe('"ghcr.io/O/r" is not a valid image reference.');
    expect(() => parseImageReference('ghcr.io/o/r:-x')).toThrow(AbortError);
    expect(() => parseImageReference('ghcr.io/o/r@sha256:abc')).toThrow(AbortError);
    expect(() => parseImageReference('ghcr.io/o/r:')).toThrow(AbortError);
  });
});

describe('reference edges (mutation testing, issue 20)', () => {
  it('a password holding an unencoded @ is not echoed either', () => {
    const e = refusal(() => parseRegistryUrl('https://ci:p@ss@ghcr.io/org'));
    expect(e.message).toBe('registry.url "***@ghcr.io/org" is not host[:port]/namespace.');
    expect(refusal(() => parseRegistryUrl('@ghcr.io/org')).message).toBe('registry.url "***@ghcr.io/org" is not host[:port]/namespace.');
  });

  it('strips several trailing slashes, and a scheme only at the start', () => {
    expect(parseRegistryUrl('ghcr.io/org//')).toEqual({ kind: 'http', host: 'ghcr.io', namespace: 'org' });
    expect(() => parseRegistryUrl('ghcr.io/org/https://x')).toThrow(AbortError);
  });

  it('a name of one part is a Docker Hub library image even with a dot or named localhost', () => {
    expect(parseImageReference('localhost')).toEqual({ host: 'registry-1.docker.io', repository: 'library/localhost' });
    expect(parseImageReference('my.app:1')).toEqual({ host: 'registry-1.docker.io', repository: 'library/my.app', tag: '1' });
  });
});
