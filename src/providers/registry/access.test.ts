import { describe, expect, it } from 'vitest';
import { registryAccess } from './index.js';

describe('registryAccess', () => {
  it('gives buildah and trivy the insecure host and the credentials of an HTTP registry', () => {
    // Given an insecure registry with both username and password
    const access = registryAccess({ url: '127.0.0.1:5000/mirror', insecure: true, username: 'ci', password: 's3cret' });
    // Then its host is the one insecure host, and the credentials are for that host
    expect(access).toEqual({ insecureHosts: ['127.0.0.1:5000'], credentials: { host: '127.0.0.1:5000', username: 'ci', password: 's3cret' } });
  });

  it('gives no credentials unless both halves are set, and no insecure host unless asked', () => {
    expect(registryAccess({ url: 'ghcr.io/org', insecure: false, username: 'ci' })).toEqual({ insecureHosts: [] });
    expect(registryAccess({ url: 'ghcr.io/org', password: 's3cret' })).toEqual({ insecureHosts: [] });
    expect(registryAccess({ url: 'docker.io/org', username: 'u', password: 'p' }).credentials?.host).toBe('registry-1.docker.io');
  });

  it('gives an OCI layout nothing: it has no host', () => {
    expect(registryAccess({ url: 'oci:./layout', insecure: true, username: 'u', password: 'p' })).toEqual({ insecureHosts: [] });
  });
});
