import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishVersions } from '../../../test/rig/world.js';
import { OciLayoutBackend } from '../registry/oci-layout.js';
import { MediaType, type Descriptor } from '../registry/types.js';
import { checkReferrer } from './check.js';
import { attachBundle, attestationsIn, listReferrers } from './referrers.js';
import { keySigner, type PayloadSigner } from './signer.js';
import { parseSigningKey } from './signing-key.js';
import { cosignSignStatement, sbomStatement, subjectOf } from './statement.js';
import { INTOTO_PAYLOAD_TYPE, SIMPLE_SIGNING_PAYLOAD_TYPE, type AttestationKind } from './types.js';
import type { TrustPolicy } from './verify-bundle.js';

// Replay attacks on verify with validly signed bundles, on a real OCI layout and real sigstore
// signing: a good signature over the wrong thing must never count as ok.
let dir: string;
let registry: OciLayoutBackend;
let signer: PayloadSigner;
let policy: TrustPolicy;
let digests: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-check-'));
  registry = new OciLayoutBackend(dir);
  digests = await publishVersions(registry, 'app', ['1.0.0', '2.0.0']);
  const key = parseSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  signer = keySigner(key);
  policy = { type: 'key', publicKey: key.publicKey };
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

/** cosign's old simple-signing payload, as mirror wrote it before cosign v3 compatibility. */
const oldSimpleSigning = (digest: string) => ({ critical: { identity: { 'docker-reference': 'app' }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: {} });
const subject = (version: string): Descriptor => ({ mediaType: MediaType.OciIndex, digest: digests[version], size: 1 });
const expected = async (version: string) => {
  const index = JSON.parse(Buffer.from((await registry.getManifest('app', version)).bytes).toString()) as { manifests: Descriptor[] };
  return { index: digests[version], platforms: index.manifests.map((m) => m.digest) };
};
/** Sign `body` and attach it under `onto` as `kind`; then check `kind` of `onto` as verify does. */
async function attachAndCheck(onto: string, kind: AttestationKind, type: string, body: unknown) {
  const bundle = await signer.sign(type, Buffer.from(JSON.stringify(body)));
  await attachBundle(registry, 'app', subject(onto), kind, new TextEncoder().encode(JSON.stringify(bundle)));
  const refs = attestationsIn((await listReferrers(registry, 'app', digests[onto])).manifests).get(kind) ?? [];
  return checkReferrer(registry, 'app', kind, refs, await expected(onto), policy);
}

describe('verify binds each bundle to the index the version tag serves', () => {
  it('accepts the genuine signature and SBOM of a version', async () => {
    expect(await attachAndCheck('1.0.0', 'signature', INTOTO_PAYLOAD_TYPE, cosignSignStatement(digests['1.0.0']))).toMatchObject({ status: 'ok' });
    expect(await attachAndCheck('1.0.0', 'sbom', INTOTO_PAYLOAD_TYPE, sbomStatement([subjectOf('app', digests['1.0.0'])], { spdxVersion: 'SPDX-2.3' }))).toMatchObject({ status: 'ok' });
  });

  it('rejects 1.0.0\'s valid bundles re-attached to 2.0.0 (a fresh referrer whose subject is 2.0.0)', async () => {
    expect(await attachAndCheck('2.0.0', 'signature', INTOTO_PAYLOAD_TYPE, cosignSignStatement(digests['1.0.0'])))
      .toMatchObject({ status: 'invalid', reason: `its subjects do not include the index ${digests['2.0.0']}` });
    expect(await attachAndCheck('2.0.0', 'sbom', INTOTO_PAYLOAD_TYPE, sbomStatement([subjectOf('app', digests['1.0.0'])], {})))
      .toMatchObject({ status: 'invalid', reason: `its subjects do not include the index ${digests['2.0.0']}` });
  });

  it('rejects a statement that also names another index, and a bundle whose predicate is not the kind its annotation claims', async () => {
    expect(await attachAndCheck('2.0.0', 'sbom', INTOTO_PAYLOAD_TYPE, sbomStatement([subjectOf('app', digests['2.0.0']), subjectOf('app', digests['1.0.0'])], {})))
      .toMatchObject({ status: 'invalid', reason: `subject ${digests['1.0.0']} is not a manifest of this index` });
    // An SBOM statement filed as provenance, and a signature payload filed as SBOM
    expect(await attachAndCheck('2.0.0', 'provenance', INTOTO_PAYLOAD_TYPE, sbomStatement([subjectOf('app', digests['2.0.0'])], {})))
      .toMatchObject({ status: 'invalid', reason: 'predicate type https://spdx.dev/Document, expected https://slsa.dev/provenance/v1' });
    expect(await attachAndCheck('2.0.0', 'sbom', SIMPLE_SIGNING_PAYLOAD_TYPE, oldSimpleSigning(digests['2.0.0'])))
      .toMatchObject({ status: 'invalid', reason: expect.stringMatching(/^payload type application\/vnd\.dev\.cosign\.simplesigning/) });
    // The signature as mirror wrote it before cosign v3: cosign v3 and sigstore-go reject it, so does verify
    expect(await attachAndCheck('2.0.0', 'signature', SIMPLE_SIGNING_PAYLOAD_TYPE, oldSimpleSigning(digests['2.0.0'])))
      .toMatchObject({ status: 'invalid', reason: expect.stringMatching(/^cosign's old simple-signing payload, which cosign v3 and sigstore-go reject/) });
    // A signature statement that carries a predicate, or names a platform manifest too, is not cosign v3's
    const withPredicate = { ...cosignSignStatement(digests['2.0.0']), predicate: { note: 'x' } };
    expect(await attachAndCheck('2.0.0', 'signature', INTOTO_PAYLOAD_TYPE, withPredicate)).toMatchObject({ status: 'invalid', reason: 'a signature statement with a non-empty predicate' });
    const platform = (await expected('2.0.0')).platforms[0];
    const twoSubjects = { ...cosignSignStatement(digests['2.0.0']), subject: [...cosignSignStatement(digests['2.0.0']).subject, subjectOf('app', platform)] };
    expect(await attachAndCheck('2.0.0', 'signature', INTOTO_PAYLOAD_TYPE, twoSubjects)).toMatchObject({ status: 'invalid', reason: 'a signature statement names 2 subjects, expected only the index' });
  });
});

describe('verify refuses referrers that are not well-formed bundle artifacts about the index', () => {
  it('names a referrer of another index, and one that is not a bundle artifact', async () => {
    // Given 1.0.0's genuine signature referrer, and a referrer-shaped listing of 1.0.0's own index manifest
    const bundle = await signer.sign(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(cosignSignStatement(digests['1.0.0']))));
    const onOne = await attachBundle(registry, 'app', subject('1.0.0'), 'signature', new TextEncoder().encode(JSON.stringify(bundle)));
    const ref = (digest: string): Descriptor[] => [{ mediaType: MediaType.OciManifest, digest, size: 1 }];
    // When 2.0.0 is checked against them
    const moved = await checkReferrer(registry, 'app', 'signature', ref(onOne), await expected('2.0.0'), policy);
    const notBundle = await checkReferrer(registry, 'app', 'signature', ref(digests['1.0.0']), await expected('2.0.0'), policy);
    // Then each is invalid, saying why
    expect(moved).toMatchObject({ status: 'invalid', referrer: onOne, reason: `referrer's subject is ${digests['1.0.0']}, not the index` });
    expect(notBundle).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/^referrer: it is not a application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json artifact/) });
  });
});
