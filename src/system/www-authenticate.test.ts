/**
 * WWW-Authenticate as RFC 7235 writes it and as real registries send it. Each row names where the
 * header comes from; the RFC rows are the examples printed in the RFCs.
 */
import { describe, expect, it } from 'vitest';
import { parseChallenges, preferredChallenge } from './www-authenticate.js';

const rows: { from: string; header: string | string[]; challenges: { scheme: string; params: Record<string, string>; token68?: string }[] }[] = [
  { from: 'RFC 7235 §4.1 (two challenges in one field, escaped quote)',
    header: 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
    challenges: [{ scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } }, { scheme: 'basic', params: { realm: 'simple' } }] },
  { from: 'RFC 7617 §2.1', header: 'Basic realm="WallyWorld", charset="UTF-8"',
    challenges: [{ scheme: 'basic', params: { realm: 'WallyWorld', charset: 'UTF-8' } }] },
  { from: 'RFC 6750 §3', header: 'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
    challenges: [{ scheme: 'bearer', params: { realm: 'example', error: 'invalid_token', error_description: 'The access token expired' } }] },
  { from: 'Docker Hub (registry-1.docker.io)', header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    challenges: [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }] },
  { from: 'ghcr.io, push scope with a comma inside quotes', header: 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:this-is-tobi/mirror/outline:pull,push"',
    challenges: [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:this-is-tobi/mirror/outline:pull,push' } }] },
  { from: 'unquoted values (a registry behind a hand-written proxy)', header: 'Bearer realm=https://registry.example/token,service=registry.example,scope=repository:a/b:pull',
    challenges: [{ scheme: 'bearer', params: { realm: 'https://registry.example/token', service: 'registry.example', scope: 'repository:a/b:pull' } }] },
  { from: 'Distribution htpasswd', header: 'Basic realm="mirror-test"', challenges: [{ scheme: 'basic', params: { realm: 'mirror-test' } }] },
  { from: 'AWS ECR', header: 'Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com"',
    challenges: [{ scheme: 'basic', params: { realm: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/', service: 'ecr.amazonaws.com' } }] },
  { from: 'BWS around "=" and upper-case names (RFC 7235 §2.1: case-insensitive)', header: 'BEARER Realm = "https://x/token" , Service="x"',
    challenges: [{ scheme: 'bearer', params: { realm: 'https://x/token', service: 'x' } }] },
  { from: 'token68 then a parameterised challenge', header: 'Negotiate YIIBhgYGKwYBBQUCoII=, Basic realm="corp"',
    challenges: [{ scheme: 'negotiate', params: {}, token68: 'YIIBhgYGKwYBBQUCoII=' }, { scheme: 'basic', params: { realm: 'corp' } }] },
  { from: 'a scheme alone, then another', header: 'Negotiate, Bearer realm="r"',
    challenges: [{ scheme: 'negotiate', params: {} }, { scheme: 'bearer', params: { realm: 'r' } }] },
  { from: 'two header fields (Harbor sends Basic and Bearer apart)', header: ['Basic realm="harbor"', 'Bearer realm="https://harbor.example/service/token",service="harbor-registry"'],
    challenges: [{ scheme: 'basic', params: { realm: 'harbor' } }, { scheme: 'bearer', params: { realm: 'https://harbor.example/service/token', service: 'harbor-registry' } }] },
];

describe('parseChallenges (RFC 7235)', () => {
  it.each(rows)('$from', ({ header, challenges }) => {
    expect(parseChallenges(header)).toEqual(challenges);
  });

  it('prefers Bearer over Basic, whatever the order', () => {
    expect(preferredChallenge('Basic realm="a", Bearer realm="https://t/token",service="s"')).toEqual({ scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } });
    expect(preferredChallenge('Negotiate, Basic realm="a"')?.scheme).toBe('basic');
    expect(preferredChallenge('')).toBeUndefined();
  });
});
