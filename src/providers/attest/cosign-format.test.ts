/**
 * mirror's signature and attestation referrers held against what cosign v3 writes, point by point,
 * on the real registry (Distribution 2.8: the tag-schema fallback cosign reads through
 * go-containerregistry's remote.Referrers). Sources, in sigstore/cosign:
 *  - cmd/cosign/cli/sign/sign.go signDigestBundle: the signature statement (in-toto v1, one
 *    subject with the digest only, predicateType https://sigstore.dev/cosign/sign/v1, empty predicate);
 *  - pkg/oci/remote/write.go WriteAttestationNewBundleFormat: artifactType and layer media type
 *    application/vnd.dev.sigstore.bundle.v0.3+json, annotations dev.sigstore.bundle.content,
 *    dev.sigstore.bundle.predicateType, org.opencontainers.image.created (same for `cosign attest
 *    --new-bundle-format`, with the statement's predicateType);
 *  - pkg/oci/remote/signatures.go Bundle: exactly one layer, media type prefix
 *    application/vnd.dev.sigstore.bundle, protojson bundle of version ≥ v0.3;
 *  - specs/BUNDLE_SPEC.md "Annotations": the referrers index entry carries the same annotations;
 *  - pkg/cosign/verify.go: each bundle verified with sigstore-go's WithArtifactDigest (DSSE payload
 *    type application/vnd.in-toto+json, the image digest among the statement's subjects).
 */
import { generateKeyPairSync } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { Bundle } from '@sigstore/protobuf-specs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/rig/registry.js';
import { publishVersions } from '../../../test/rig/world.js';
import { createRegistryBackend } from '../registry/index.js';
import { MediaType, type RegistryBackend } from '../registry/types.js';
import { checkPayload } from './check.js';
import { attachBundle, fallbackTag } from './referrers.js';
import { keySigner } from './signer.js';
import { parseSigningKey } from './signing-key.js';
import { cosignSignStatement, sbomStatement, subjectOf } from './statement.js';
import { INTOTO_PAYLOAD_TYPE, type AttestationKind } from './types.js';
import { verifyBundle } from './verify-bundle.js';

const EMPTY_DESCRIPTOR = { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 };
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

let registry: TestRegistry;
let backend: RegistryBackend;
let index: string;
const key = parseSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
beforeAll(async () => {
  registry = await startRegistry();
  backend = createRegistryBackend({ url: registry.url('ns'), insecure: true }, { env: { HOME: '/nonexistent' } });
  index = (await publishVersions(backend, 'app', ['1.0.0']))['1.0.0'];
});
afterAll(async () => { await backend?.close(); await registry?.stop(); });

const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, any>;

/** Sign and attach as the attest step does; returns the referrer manifest, its index entry and the bundle. */
async function attach(kind: AttestationKind, statement: object) {
  const size = (await backend.getManifest('app', index)).bytes.length;
  const bundle = await keySigner(key).sign(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)));
  const digest = await attachBundle(backend, 'app', { mediaType: MediaType.OciIndex, digest: index, size }, kind, new TextEncoder().encode(JSON.stringify(bundle)));
  const manifest = json((await backend.getManifest('app', digest)).bytes);
  const referrers = json((await backend.getManifest('app', fallbackTag(index))).bytes);
  const entry = (referrers.manifests as Record<string, any>[]).find((m) => m.digest === digest);
  const layer = await backend.getBlob('app', manifest.layers[0].digest);
  return { digest, manifest, referrers, entry, layer, size };
}

describe('the image signature is what `cosign sign --new-bundle-format` (cosign v3) writes', () => {
  it('matches cosign v3 point by point and verifies as cosign verify does', async () => {
    const { digest, manifest, referrers, entry, layer, size } = await attach('signature', cosignSignStatement(index));

    // 1. The referrer is an OCI image manifest (schemaVersion 2) with artifactType = the v0.3 bundle type
    expect(manifest).toMatchObject({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: BUNDLE_V03 });
    // 2. Its config is the OCI empty descriptor
    expect(manifest.config).toEqual(EMPTY_DESCRIPTOR);
    // 3. Exactly one layer, of media type application/vnd.dev.sigstore.bundle.v0.3+json
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]).toMatchObject({ mediaType: BUNDLE_V03, size: layer.length });
    // 4. Its subject is the index
    expect(manifest.subject).toEqual({ mediaType: MediaType.OciIndex, digest: index, size });
    // 5. The three annotations cosign writes
    expect(Object.keys(manifest.annotations).sort()).toEqual(['dev.sigstore.bundle.content', 'dev.sigstore.bundle.predicateType', 'org.opencontainers.image.created']);
    expect(manifest.annotations['dev.sigstore.bundle.content']).toBe('dsse-envelope');
    expect(manifest.annotations['dev.sigstore.bundle.predicateType']).toBe('https://sigstore.dev/cosign/sign/v1');
    expect(manifest.annotations['org.opencontainers.image.created']).toMatch(RFC3339);
    // 6. The referrers (fallback tag sha256-<hex>) list it with artifactType and the same annotations
    expect(referrers.mediaType).toBe(MediaType.OciIndex);
    expect(entry).toEqual({ mediaType: MediaType.OciManifest, digest, size: expect.any(Number), artifactType: BUNDLE_V03, annotations: manifest.annotations });

    // 7. The layer is a protojson Sigstore bundle v0.3 (what sigstore-go's protojson.Unmarshal reads) with a DSSE envelope
    const bundleJson = json(layer);
    expect(bundleJson.mediaType).toBe(BUNDLE_V03);
    expect(Bundle.toJSON(Bundle.fromJSON(bundleJson))).toEqual(bundleJson);
    expect(bundleFromJSON(bundleJson).content.$case).toBe('dsseEnvelope');
    expect(bundleJson.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(bundleJson.dsseEnvelope.signatures).toHaveLength(1);
    expect(bundleJson.verificationMaterial.publicKey.hint).toBe(key.hint);

    // 8. The payload is cosign's statement: exactly these four fields, one subject with the digest only, empty predicate
    const statement = JSON.parse(Buffer.from(bundleJson.dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: index.slice('sha256:'.length) } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    });

    // 9. It verifies with @sigstore/verify under the key, and passes sigstore-go's artifact-digest rule for the index
    const verified = verifyBundle(bundleJson, { type: 'key', publicKey: key.publicKey });
    expect(checkPayload('signature', verified.payloadType, verified.payload, { index, platforms: [] })).toBeUndefined();
    // …and not for another image's digest
    expect(checkPayload('signature', verified.payloadType, verified.payload, { index: `sha256:${'c'.repeat(64)}`, platforms: [] })).toMatch(/do not include the index/);
  });

  it('attestations are written as `cosign attest --new-bundle-format` writes them: the statement\'s predicateType in the annotation', async () => {
    const sbom = sbomStatement([subjectOf(registry.url('ns'), index)], { spdxVersion: 'SPDX-2.3' });
    const { manifest, entry, layer } = await attach('sbom', sbom);
    expect(manifest).toMatchObject({ artifactType: BUNDLE_V03, config: EMPTY_DESCRIPTOR, layers: [{ mediaType: BUNDLE_V03 }] });
    expect(manifest.annotations).toMatchObject({ 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://spdx.dev/Document' });
    const payload = JSON.parse(Buffer.from(json(layer).dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(payload.predicateType).toBe(manifest.annotations['dev.sigstore.bundle.predicateType']);
    expect(entry?.annotations).toEqual(manifest.annotations);
  });
});
