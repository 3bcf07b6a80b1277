import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../registry/http-backend.js';
import { OciLayoutBackend } from '../registry/oci-layout.js';
import { MediaType, type Descriptor } from '../registry/types.js';
import { attachBundle, attestationsIn, fallbackTag, listReferrers } from './referrers.js';

// The tag-schema fallback on a real OCI image layout directory (no referrers API there either).
let dir: string;
let registry: OciLayoutBackend;
let subject: Descriptor;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-referrers-'));
  registry = new OciLayoutBackend(dir);
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));
  subject = await registry.putManifest('app', '1.0.0', bytes, MediaType.OciIndex);
});
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const bundle = (text: string) => new TextEncoder().encode(JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', text }));

describe('referrers through the sha256-<hex> fallback index', () => {
  it('keeps one referrer per kind: attaching a kind again replaces it in the fallback index', async () => {
    // Given a signature and an SBOM attached
    const sig1 = await attachBundle(registry, 'app', subject, 'signature', bundle('sig 1'));
    await attachBundle(registry, 'app', subject, 'sbom', bundle('sbom 1'));
    // When the signature is attached again
    const sig2 = await attachBundle(registry, 'app', subject, 'signature', bundle('sig 2'));
    // Then the fallback index lists one of each kind, the new signature and not the old one
    // (that the old manifest is deleted too is checked on the real registry: a layout keeps blob files)
    const list = await listReferrers(registry, 'app', subject.digest);
    expect(list.via).toBe('tag');
    const kinds = attestationsIn(list.manifests);
    expect([...kinds.keys()].sort()).toEqual(['sbom', 'signature']);
    expect(kinds.get('signature')!.map((d) => d.digest)).toEqual([sig2]);
    expect(list.manifests.map((d) => d.digest)).not.toContain(sig1);
    // And each referrer manifest points at the subject with the bundle artifactType
    const manifest = JSON.parse(Buffer.from((await registry.getManifest('app', sig2)).bytes).toString());
    expect(manifest).toMatchObject({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', subject: { digest: subject.digest, mediaType: MediaType.OciIndex } });
    expect(sha256(await registry.getBlob('app', manifest.layers[0].digest))).toBe(manifest.layers[0].digest);
  });

  it('keeps referrers it does not own (other tools) and refuses to overwrite a fallback tag that is not an index', async () => {
    const foreign = { mediaType: MediaType.OciManifest, digest: `sha256:${'c'.repeat(64)}`, size: 1, artifactType: 'application/vnd.example+json' };
    await registry.putManifest('app', fallbackTag(subject.digest), new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [foreign] })), MediaType.OciIndex);
    await attachBundle(registry, 'app', subject, 'provenance', bundle('prov'));
    const list = await listReferrers(registry, 'app', subject.digest);
    expect(list.manifests.map((m) => m.artifactType)).toEqual(['application/vnd.example+json', 'application/vnd.dev.sigstore.bundle.v0.3+json']);
    await registry.putManifest('app', fallbackTag(subject.digest), new TextEncoder().encode('{"schemaVersion":2}'), MediaType.OciManifest);
    await expect(attachBundle(registry, 'app', subject, 'sbom', bundle('x'))).rejects.toThrow(/is not an image index \(no manifests list\); mirror will not overwrite it/);
  });
});

describe('attaching to one subject at once', () => {
  it('keeps every kind when several attach concurrently (two version tags on one index attest in parallel)', async () => {
    // When three kinds are attached to the same subject at the same time
    await Promise.all((['signature', 'sbom', 'provenance'] as const).map((kind) => attachBundle(registry, 'app', subject, kind, bundle(kind))));
    // Then the fallback index lists all three, one each
    const kinds = attestationsIn((await listReferrers(registry, 'app', subject.digest)).manifests);
    expect([...kinds.entries()].map(([k, ds]) => `${k}:${ds.length}`).sort()).toEqual(['provenance:1', 'sbom:1', 'signature:1']);
  });
});
