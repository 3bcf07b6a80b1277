/**
 * Attestation verification at the edges the CLI tests reach only through `mirror verify` (issue
 * 20's mutation run found them unasserted in-process): bundles of the wrong shape or signing mode,
 * keyless identity and issuer against a mock Sigstore, statements that are not what their kind
 * must be, and referrers that are missing, doubled, corrupt or about another index.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcToken, startMockSigstore, type MockSigstore } from '../../../test/rig/sigstore.js';
import { publishVersions } from '../../../test/rig/world.js';
import { prepareArtifactManifest } from '../registry/artifact.js';
import { OciLayoutBackend } from '../registry/oci-layout.js';
import { MediaType, type Descriptor } from '../registry/types.js';
import { checkPayload, checkReferrer } from './check.js';
import { attachBundle, attestationsIn, listReferrers } from './referrers.js';
import { keylessSigner, keySigner, type PayloadSigner } from './signer.js';
import { parseSigningKey } from './signing-key.js';
import { cosignSignStatement } from './statement.js';
import { BUNDLE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE, PREDICATE_TYPES, SIMPLE_SIGNING_PAYLOAD_TYPE, STATEMENT_TYPE, type AttestationKind } from './types.js';
import { BundleInvalidError, identityPolicy, verifyBundle, type TrustPolicy } from './verify-bundle.js';

const IDENTITY = 'https://github.com/o/r/.github/workflows/mirror.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const INDEX = `sha256:${'a'.repeat(64)}`;
const PLATFORM = `sha256:${'b'.repeat(64)}`;
const newKey = () => parseSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const statement = (kind: AttestationKind, subjects: unknown, predicate: unknown = {}) => Buffer.from(JSON.stringify({ _type: STATEMENT_TYPE, subject: subjects, predicateType: PREDICATE_TYPES[kind], predicate }));
const sub = (digest: string) => ({ name: 'x', digest: { sha256: digest.slice('sha256:'.length) } });
const expected = { index: INDEX, platforms: [PLATFORM] };

describe('checkPayload: what a verified statement must say', () => {
  it('refuses a payload that is not JSON, of another type, or not an in-toto v1 statement', () => {
    expect(checkPayload('sbom', INTOTO_PAYLOAD_TYPE, Buffer.from('{nope'), expected)).toBe('the signed payload is not JSON');
    expect(checkPayload('sbom', 'text/plain', statement('sbom', [sub(INDEX)]), expected)).toBe(`payload type text/plain, expected ${INTOTO_PAYLOAD_TYPE}`);
    expect(checkPayload('sbom', INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', subject: [sub(INDEX)] })), expected))
      .toBe('not an in-toto v1 statement (_type https://in-toto.io/Statement/v0.1)');
  });

  it("calls cosign's old simple-signing payload out only for a signature; any other kind of that type is just the wrong type", () => {
    const old = Buffer.from('{"critical":{}}');
    expect(checkPayload('signature', SIMPLE_SIGNING_PAYLOAD_TYPE, old, expected)).toMatch(/^cosign's old simple-signing payload/);
    expect(checkPayload('sbom', SIMPLE_SIGNING_PAYLOAD_TYPE, old, expected)).toBe(`payload type ${SIMPLE_SIGNING_PAYLOAD_TYPE}, expected ${INTOTO_PAYLOAD_TYPE}`);
  });

  it('reads subjects that are not a list, or entries without a digest, as naming nothing (no crash)', () => {
    expect(checkPayload('sbom', INTOTO_PAYLOAD_TYPE, statement('sbom', { digest: { sha256: 'a'.repeat(64) } }), expected)).toBe(`its subjects do not include the index ${INDEX}`);
    expect(checkPayload('sbom', INTOTO_PAYLOAD_TYPE, statement('sbom', [null, {}, sub(INDEX)]), expected)).toBe('subject sha256:undefined is not a manifest of this index');
    expect(checkPayload('sbom', INTOTO_PAYLOAD_TYPE, statement('sbom', [sub(INDEX), sub(PLATFORM)]), expected)).toBeUndefined();
  });

  it('a signature statement needs an empty object predicate: not a missing, a scalar or a filled one', () => {
    const msg = 'a signature statement with a non-empty predicate';
    expect(checkPayload('signature', INTOTO_PAYLOAD_TYPE, statement('signature', [sub(INDEX)], {}), expected)).toBeUndefined();
    expect(checkPayload('signature', INTOTO_PAYLOAD_TYPE, statement('signature', [sub(INDEX)], null), expected)).toBe(msg);
    expect(checkPayload('signature', INTOTO_PAYLOAD_TYPE, statement('signature', [sub(INDEX)], 5), expected)).toBe(msg);
    expect(checkPayload('signature', INTOTO_PAYLOAD_TYPE, statement('signature', [sub(INDEX)], { a: 1 }), expected)).toBe(msg);
  });
});

describe('verifyBundle: shape and signing mode', () => {
  it('the keyless policy is this identity exactly and this issuer', () => {
    expect(identityPolicy('https://x.example/a.yml@refs/heads/main', ISSUER)).toEqual({ subjectAlternativeName: '^https:\\/\\/x\\.example\\/a\\.yml@refs\\/heads\\/main$', extensions: { issuer: ISSUER } });
  });

  it('refuses a bundle without a DSSE envelope, and a key bundle under a keyless policy', async () => {
    const key = newKey();
    const bundle = await keySigner(key).sign(INTOTO_PAYLOAD_TYPE, statement('signature', [sub(INDEX)]));
    const { dsseEnvelope: _, ...rest } = bundle;
    const messageSigned = { ...rest, messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: Buffer.alloc(32).toString('base64') }, signature: Buffer.from('sig').toString('base64') } };
    expect(() => verifyBundle(messageSigned, { type: 'key', publicKey: key.publicKey })).toThrow(new BundleInvalidError('the bundle holds no DSSE envelope'));
    const keyless: TrustPolicy = { type: 'keyless', identity: IDENTITY, issuer: ISSUER, trustedRoot: TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }) };
    expect(() => verifyBundle(bundle, keyless)).toThrow(new BundleInvalidError('signed with a key, but keyless identity was given to verify with'));
  });

  describe('keyless bundles (mock Fulcio and Rekor)', () => {
    let dir: string;
    let sigstore: MockSigstore;
    let signer: PayloadSigner;
    let root: TrustedRoot;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'mirror-keyless-'));
      sigstore = await startMockSigstore(dir);
      signer = keylessSigner({ env: { SIGSTORE_ID_TOKEN: oidcToken({ iss: ISSUER, sub: IDENTITY }) }, fulcioUrl: sigstore.url, rekorUrl: sigstore.url });
      root = TrustedRoot.fromJSON(JSON.parse(await readFile(sigstore.trustedRootFile, 'utf8')));
    });
    afterAll(async () => { await sigstore?.stop(); await rm(dir, { recursive: true, force: true }); });

    it('verify for the identity and issuer; another identity is named as given, another issuer fails; a key policy refuses them', async () => {
      const bundle = await signer.sign(INTOTO_PAYLOAD_TYPE, statement('signature', [sub(INDEX)]));
      expect(verifyBundle(bundle, { type: 'keyless', identity: IDENTITY, issuer: ISSUER, trustedRoot: root }).payloadType).toBe(INTOTO_PAYLOAD_TYPE);
      const evil = IDENTITY.replace('main', 'evil');
      expect(() => verifyBundle(bundle, { type: 'keyless', identity: evil, issuer: ISSUER, trustedRoot: root }))
        .toThrow(new BundleInvalidError(`certificate identity is ${IDENTITY}, expected ${evil}`));
      expect(() => verifyBundle(bundle, { type: 'keyless', identity: IDENTITY, issuer: 'https://accounts.example.com', trustedRoot: root }))
        .toThrow(/^signature does not verify \(.*issuer/);
      expect(() => verifyBundle(bundle, { type: 'key', publicKey: newKey().publicKey })).toThrow(new BundleInvalidError('signed keyless, but a key was given to verify with'));
    });

    it('a --trusted-root whose certificate cannot be read fails verify itself, not each attestation as invalid', async () => {
      // Given a keyless signature attached to a version, and a trusted root whose CA certificate is garbage
      const registry = new OciLayoutBackend(path.join(dir, 'layout'));
      const index = (await publishVersions(registry, 'app', ['1.0.0']))['1.0.0'];
      const bundle = await signer.sign(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(cosignSignStatement(index))));
      await attachBundle(registry, 'app', { mediaType: MediaType.OciIndex, digest: index, size: 1 }, 'signature', new TextEncoder().encode(JSON.stringify(bundle)));
      const refs = attestationsIn((await listReferrers(registry, 'app', index)).manifests).get('signature') ?? [];
      const json = JSON.parse(await readFile(sigstore.trustedRootFile, 'utf8')) as { certificateAuthorities: Array<{ certChain: { certificates: Array<{ rawBytes: string }> } }> };
      json.certificateAuthorities[0].certChain.certificates[0].rawBytes = Buffer.from('not a certificate').toString('base64');
      const broken: TrustPolicy = { type: 'keyless', identity: IDENTITY, issuer: ISSUER, trustedRoot: TrustedRoot.fromJSON(json) };
      // When it is checked, then the error stops the check (the root is the problem, not the bundle)
      const error = await checkReferrer(registry, 'app', 'signature', refs, { index, platforms: [] }, broken).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(BundleInvalidError);
      // while the intact root accepts the same referrer
      expect(await checkReferrer(registry, 'app', 'signature', refs, { index, platforms: [] }, { ...broken, trustedRoot: root })).toMatchObject({ status: 'ok' });
    });
  });
});

describe('checkReferrer: the referrers of one kind', () => {
  let dir: string;
  let registry: OciLayoutBackend;
  let key: ReturnType<typeof newKey>;
  let policy: TrustPolicy;
  let index: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mirror-check-edges-'));
    registry = new OciLayoutBackend(dir);
    index = (await publishVersions(registry, 'app', ['1.0.0']))['1.0.0'];
    key = newKey();
    policy = { type: 'key', publicKey: key.publicKey };
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });
  const subject = (): Descriptor => ({ mediaType: MediaType.OciIndex, digest: index, size: 1 });
  const exp = () => ({ index, platforms: [] });
  const attach = async (bytes: Uint8Array) => {
    const before = new Set((await listReferrers(registry, 'app', index)).manifests.map((m) => m.digest));
    await attachBundle(registry, 'app', subject(), 'signature', bytes);
    return (attestationsIn((await listReferrers(registry, 'app', index)).manifests).get('signature') ?? []).filter((d) => !before.has(d.digest));
  };

  it('none is missing; two are invalid, counted', async () => {
    expect(await checkReferrer(registry, 'app', 'signature', [], exp(), policy)).toEqual({ status: 'missing' });
    const two = [{ mediaType: MediaType.OciManifest, digest: PLATFORM, size: 1 }, { mediaType: MediaType.OciManifest, digest: INDEX, size: 1 }];
    expect(await checkReferrer(registry, 'app', 'sbom', two, exp(), policy)).toEqual({ status: 'invalid', reason: '2 sbom attestations attached (expected one)' });
  });

  it('a referrer the registry does not hold, and one whose bundle is not JSON, are invalid naming the referrer', async () => {
    const gone = { mediaType: MediaType.OciManifest, digest: PLATFORM, size: 1 };
    expect(await checkReferrer(registry, 'app', 'signature', [gone], exp(), policy)).toEqual({ status: 'invalid', reason: 'referrer manifest is missing from the registry', referrer: PLATFORM });
    const [notJson] = await attach(new TextEncoder().encode('{not json'));
    expect(await checkReferrer(registry, 'app', 'signature', [notJson], exp(), policy)).toEqual({ status: 'invalid', reason: 'the bundle is not JSON', referrer: notJson.digest });
  });

  it('a bundle artifact about no subject at all is invalid, saying so', async () => {
    const bundle = new TextEncoder().encode(JSON.stringify(await keySigner(key).sign(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(cosignSignStatement(index))))));
    const manifest = await prepareArtifactManifest(registry, 'app', { type: BUNDLE_MEDIA_TYPE, content: bundle });
    const put = await registry.putManifest('app', `sha256:${createHash('sha256').update(manifest).digest('hex')}`, manifest, MediaType.OciManifest);
    expect(await checkReferrer(registry, 'app', 'signature', [{ mediaType: MediaType.OciManifest, digest: put.digest, size: put.size }], exp(), policy))
      .toEqual({ status: 'invalid', reason: "referrer's subject is undefined, not the index", referrer: put.digest });
  });

  it('a bundle signed with another key is invalid with why; a good one is ok naming its referrer', async () => {
    const payload = Buffer.from(JSON.stringify(cosignSignStatement(index)));
    const [other] = await attach(new TextEncoder().encode(JSON.stringify(await keySigner(newKey()).sign(INTOTO_PAYLOAD_TYPE, payload))));
    expect(await checkReferrer(registry, 'app', 'signature', [other], exp(), policy)).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/^signature does not verify/), referrer: other.digest });
    const [good] = await attach(new TextEncoder().encode(JSON.stringify(await keySigner(key).sign(INTOTO_PAYLOAD_TYPE, payload))));
    expect(await checkReferrer(registry, 'app', 'signature', [good], exp(), policy)).toEqual({ status: 'ok', referrer: good.digest });
  });

  it("a bundle blob whose bytes no longer match its digest is invalid (tampering), the registry's error as the reason", async () => {
    const [ref] = await attach(new TextEncoder().encode(JSON.stringify(await keySigner(key).sign(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(cosignSignStatement(index)))))));
    const manifest = JSON.parse(Buffer.from((await registry.getManifest('app', ref.digest)).bytes).toString()) as { layers: Descriptor[] };
    const where = await findBlobDir(dir, manifest.layers[0].digest);
    await writeFile(path.join(where, manifest.layers[0].digest.slice('sha256:'.length)), '{"tampered":true}');
    expect(await checkReferrer(registry, 'app', 'signature', [ref], exp(), policy))
      .toEqual({ status: 'invalid', reason: `OCI layout blob ${manifest.layers[0].digest} of app is corrupt.`, referrer: ref.digest });
  });
});

/** The blobs directory of an OCI layout holding `digest` (the layout's exact structure is the backend's business). */
async function findBlobDir(root: string, digest: string): Promise<string> {
  const hex = digest.slice('sha256:'.length);
  const walk = async (d: string): Promise<string | undefined> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isFile() && e.name === hex) return d;
      if (e.isDirectory()) { const found = await walk(path.join(d, e.name)); if (found) return found; }
    }
    return undefined;
  };
  const found = await walk(root);
  if (!found) throw new Error(`blob ${digest} not found under ${root}`);
  return found;
}
