import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AbortError } from '../../errors.js';
import { checkPayload } from './check.js';
import { keySigner, keylessSigner, OidcTokenProvider } from './signer.js';
import { parseSigningKey } from './signing-key.js';
import { cosignSignStatement } from './statement.js';
import { BUNDLE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE, SIMPLE_SIGNING_PAYLOAD_TYPE } from './types.js';
import { BundleInvalidError, identityPolicy, verifyBundle } from './verify-bundle.js';

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const INDEX = `sha256:${'a'.repeat(64)}`;

describe('key-based Sigstore bundles (offline)', () => {
  it('signs a payload into a v0.3 DSSE bundle that verifies with the public key and returns the payload', async () => {
    // Given a P-256 key and cosign v3's signature statement of an index
    const key = parseSigningKey(p256());
    const payload = Buffer.from(JSON.stringify(cosignSignStatement(INDEX)));
    // When it is signed
    const bundle = await keySigner(key).sign(INTOTO_PAYLOAD_TYPE, payload);
    // Then the bundle is v0.3 with a DSSE envelope naming the key by hint, and it verifies
    expect(bundle.mediaType).toBe(BUNDLE_MEDIA_TYPE);
    expect(bundle.verificationMaterial?.publicKey?.hint).toBe(key.hint);
    const verified = verifyBundle(bundle, { type: 'key', publicKey: key.publicKey });
    expect(verified.payloadType).toBe(INTOTO_PAYLOAD_TYPE);
    expect(checkPayload('signature', verified.payloadType, verified.payload, { index: INDEX, platforms: [] })).toBeUndefined();
    expect(checkPayload('signature', verified.payloadType, verified.payload, { index: `sha256:${'b'.repeat(64)}`, platforms: [] })).toBe(`its subjects do not include the index sha256:${'b'.repeat(64)}`);
  });

  it('rejects a bundle with one changed payload byte, and one checked against another key', async () => {
    const key = parseSigningKey(p256());
    const bundle = await keySigner(key).sign(SIMPLE_SIGNING_PAYLOAD_TYPE, Buffer.from('{"critical":{}}'));
    const payload = Buffer.from(bundle.dsseEnvelope!.payload, 'base64');
    payload[2] ^= 1;
    const tampered = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope!, payload: payload.toString('base64') } };
    expect(() => verifyBundle(tampered, { type: 'key', publicKey: key.publicKey })).toThrow(BundleInvalidError);
    expect(() => verifyBundle(bundle, { type: 'key', publicKey: parseSigningKey(p256()).publicKey })).toThrow(/signature does not verify/);
    expect(() => verifyBundle({ mediaType: 'nonsense' }, { type: 'key', publicKey: key.publicKey })).toThrow(/not a Sigstore bundle/);
  });

  it('refuses keys that are not unencrypted ECDSA P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parseSigningKey(rsa)).toThrow(/is a rsa key; mirror signs with ECDSA P-256/);
    expect(() => parseSigningKey('not a key')).toThrow(/not an unencrypted PEM private key/);
  });
});

describe('keyless signing', () => {
  it('says clearly that there is no OIDC token outside GitHub Actions, and how to fix it', () => {
    expect(() => keylessSigner({ env: {} })).toThrow(AbortError);
    expect(() => keylessSigner({ env: {} })).toThrow(/attest.sign is 'keyless' but no OIDC token is available \(ACTIONS_ID_TOKEN_REQUEST_URL is not set\)/);
    expect(OidcTokenProvider.unavailable({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x' })).toBe('ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set');
    expect(OidcTokenProvider.unavailable({ SIGSTORE_ID_TOKEN: 'jwt' })).toBeUndefined();
  });

  it('sends the OIDC token and a proof of possession to Fulcio, and reports its refusal as a clear error', async () => {
    // Given a local stand-in for Fulcio that refuses every request
    const { createServer } = await import('node:http');
    const seen: Array<{ url?: string; body: any }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { seen.push({ url: req.url, body: JSON.parse(body || '{}') }); res.writeHead(400, { 'content-type': 'application/json' }); res.end('{"message":"bad token"}'); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'none' })}.${b64({ sub: 'repo:o/r:ref:refs/heads/main', iss: 'https://token.actions.githubusercontent.com' })}.sig`;
    try {
      // When a payload is signed keyless
      const signer = keylessSigner({ env: { SIGSTORE_ID_TOKEN: jwt }, fulcioUrl: url, rekorUrl: url });
      await expect(signer.sign(SIMPLE_SIGNING_PAYLOAD_TYPE, Buffer.from('{}'))).rejects.toThrow(/^Keyless signing failed \(Fulcio http:\/\/127\.0\.0\.1:\d+, Rekor/);
      // Then Fulcio was asked for a certificate with the token and an ephemeral public key
      expect(seen[0].url).toBe('/api/v2/signingCert');
      expect(seen[0].body.credentials.oidcIdentityToken).toBe(jwt);
      expect(seen[0].body.publicKeyRequest.publicKey.content).toMatch(/BEGIN PUBLIC KEY/);
      expect(seen[0].body.publicKeyRequest.proofOfPossession).toBeTruthy();
    } finally {
      server.close();
    }
  });

  it('asks GitHub for a token with audience sigstore and the request token as bearer', async () => {
    const seen: Array<{ url: string; auth: string | null }> = [];
    const fetcher = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), auth: new Headers(init.headers).get('authorization') });
      return new Response(JSON.stringify({ value: 'the-jwt' }), { status: 200 });
    }) as unknown as typeof fetch;
    const provider = new OidcTokenProvider({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://gh.invalid/token?x=1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req' }, fetcher);
    expect(await provider.getToken()).toBe('the-jwt');
    expect(seen).toEqual([{ url: 'https://gh.invalid/token?x=1&audience=sigstore', auth: 'Bearer req' }]);
  });
});

describe('keyless identity policy', () => {
  it('accepts exactly the given workflow identity, not another branch or a look-alike (the library matches as a regex)', async () => {
    // @sigstore/verify's own policy check, fed with the policy verify builds
    const { verifySubjectAlternativeName } = (await import('@sigstore/verify/dist/policy.js' as string)) as { verifySubjectAlternativeName: (p: string, s: string) => void };
    const id = 'https://github.com/o/r/.github/workflows/mirror.yml@refs/heads/main';
    const { subjectAlternativeName } = identityPolicy(id, 'https://token.actions.githubusercontent.com');
    expect(() => verifySubjectAlternativeName(subjectAlternativeName as string, id)).not.toThrow();
    for (const other of [`${id}-evil`, id.replace('mirror.yml', 'mirrorXyml'), `https://github.com/x/y?${id}`]) {
      expect(() => verifySubjectAlternativeName(subjectAlternativeName as string, other), other).toThrow(/certificate identity error/);
    }
  });
});
