/**
 * Attaching through the OCI 1.1 referrers API (the rig's referrers front for Distribution): no
 * fallback tag when the registry confirms the subject with OCI-Subject, the fallback tag kept when
 * it does not (distribution spec v1.1 "Pushing Manifests with Subject").
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenRegistry, type TokenRegistry } from '../../../test/rig/token-registry.js';
import { publishVersions } from '../../../test/rig/world.js';
import { createRegistryBackend } from '../registry/index.js';
import { MediaType, type RegistryBackend } from '../registry/types.js';
import { attachBundle, attestationsIn, fallbackTag, listReferrers } from './referrers.js';
import { keySigner } from './signer.js';
import { parseSigningKey } from './signing-key.js';
import { cosignSignStatement } from './statement.js';
import { BUNDLE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE } from './types.js';

const key = parseSigningKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
let withHeader: TokenRegistry;
let withoutHeader: TokenRegistry;
beforeAll(async () => {
  [withHeader, withoutHeader] = await Promise.all([
    startTokenRegistry({ users: { ci: 'pw' }, referrers: {} }),
    startTokenRegistry({ users: { ci: 'pw' }, referrers: { sendSubjectHeader: false } }),
  ]);
});
afterAll(async () => { await Promise.all([withHeader?.stop(), withoutHeader?.stop()]); });

const open = (reg: TokenRegistry): RegistryBackend => createRegistryBackend({ url: reg.url('ns'), insecure: true, username: 'ci', password: 'pw' }, { env: { HOME: '/nonexistent' } });
async function signAndAttach(b: RegistryBackend, index: string) {
  const size = (await b.getManifest('app', index)).bytes.length;
  const bundle = await keySigner(key).sign(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(cosignSignStatement(index))));
  return attachBundle(b, 'app', { mediaType: MediaType.OciIndex, digest: index, size }, 'signature', new TextEncoder().encode(JSON.stringify(bundle)));
}

describe('referrers API', () => {
  it('lists attestations through the API when the registry answers OCI-Subject: no fallback tag, one per kind', async () => {
    const b = open(withHeader);
    const index = (await publishVersions(b, 'app', ['1.0.0']))['1.0.0'];
    const first = await signAndAttach(b, index);
    const second = await signAndAttach(b, index);
    const list = await listReferrers(b, 'app', index);
    expect(list.via).toBe('api');
    // Re-attesting replaced the first: the API lists only the second, with cosign's annotations
    expect(list.manifests.map((d) => d.digest)).toEqual([second]);
    expect(list.manifests[0]).toMatchObject({ artifactType: BUNDLE_MEDIA_TYPE, annotations: { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' } });
    expect(attestationsIn(list.manifests).get('signature')?.map((d) => d.digest)).toEqual([second]);
    expect(await b.headManifest('app', first)).toBeUndefined();
    expect(await b.listTags('app')).not.toContain(fallbackTag(index));
    expect(withHeader.referrersRequests.some((r) => r.repository === 'ns/app' && r.digest === index)).toBe(true);
    await b.close();
  });

  it('keeps the sha256-<hex> fallback tag when the registry leaves OCI-Subject out', async () => {
    const b = open(withoutHeader);
    const index = (await publishVersions(b, 'app', ['1.0.0']))['1.0.0'];
    const attached = await signAndAttach(b, index);
    expect(await b.listTags('app')).toContain(fallbackTag(index));
    const fallback = JSON.parse(Buffer.from((await b.getManifest('app', fallbackTag(index))).bytes).toString()) as { manifests: { digest: string }[] };
    expect(fallback.manifests.map((d) => d.digest)).toEqual([attached]);
    await b.close();
  });
});
