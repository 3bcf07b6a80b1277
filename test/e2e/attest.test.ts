import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTrivy } from '../../src/providers/attest/sbom.js';
import type { MirrorConfig } from '../../src/config/schema.js';
import { OciLayoutBackend } from '../../src/providers/registry/oci-layout.js';
import { startSeedWorld, publishVersions, type SeedWorld } from '../rig/world.js';
import { mirror, ROOT } from './cli.js';

// Versions published the way an earlier pipeline left them, adopted with `mirror import`: the
// attest path without builds (the build → provenance path is in apply.test.ts).
let world: SeedWorld;
let digests: Record<string, string>;
const KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
// Tampered blobs are retried as mangled transfers before they are refused: keep that backoff short here.
const env = { MIRROR_SIGNING_KEY: KEY, MIRROR_RETRY_BASE_MS: '5' };

beforeAll(async () => {
  world = await startSeedWorld();
  const { mattermost } = world.config.apps;
  const config: MirrorConfig = { ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, platforms: ['linux/amd64', 'linux/arm64'] }, apps: { mattermost } };
  await world.writeConfig(config);
  digests = await publishVersions(world.backend, 'mattermost', ['10.4.0', '10.4.1'], { latest: '10.4.1' });
  const imported = await run(['import', 'mattermost']);
  expect(imported.exitCode, imported.stderr).toBe(0);
  await markBuilt('state.json');
}, 60_000);
afterAll(async () => { await world?.stop(); });

const run = (args: string[], extra: Record<string, string> = {}) => mirror(args, { cwd: world.dir, env: { ...env, ...extra } });
const skopeo = async (args: string[]) => (await execa('skopeo', [...args, '--tls-verify=false'])).stdout;
const referrers = async (version: string) => JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/mattermost:${digests[version].replace(':', '-')}`]));
const kinds = (index: any) => index.manifests.map((m: any) => m.annotations['dev.sigstore.bundle.predicateType']).sort();
const state = async () => JSON.parse(await readFile(path.join(world.dir, '.mirror', 'state.json'), 'utf8'));
/**
 * These tests are about attesting and verifying mirror's own versions. The rig publishes them
 * instead of building them (builds are slow; that path is in apply.test.ts), and `import` records
 * them as adopted, which never get provenance: mark the records built, as an apply would have.
 */
async function markBuilt(file: string): Promise<void> {
  const statePath = path.join(world.dir, '.mirror', file);
  const s = JSON.parse(await readFile(statePath, 'utf8'));
  for (const r of Object.values(s.resources) as any[]) r.origin = 'built';
  await writeFile(statePath, JSON.stringify(s, null, 2));
}
const PACKAGE_VERSION = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ALL_KINDS = ['https://sigstore.dev/cosign/sign/v1', 'https://slsa.dev/provenance/v1', 'https://spdx.dev/Document'];

describe('attest and verify against the real registry (key-based, offline, real trivy)', () => {
  it('plans attest for unattested versions, attaches one bundle of each kind as referrers, and verify passes', async () => {
    // Given two mirrored, recorded, unattested versions
    const plan = await run(['plan', '--json']);
    expect(JSON.parse(plan.stdout).actions.map((a: any) => `${a.id} (${a.reason})`)).toEqual([
      'attest:mattermost@10.4.1 (not attested: needs SBOM, provenance, signature)',
      'attest:mattermost@10.4.0 (not attested: needs SBOM, provenance, signature)',
    ]);
    // When apply runs
    const applied = await run(['apply', '--auto-approve']);
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply: 2 done, 0 failed, 0 skipped.');
    // Then each index has a fallback referrers index with exactly one bundle per kind, about that index
    for (const version of ['10.4.0', '10.4.1']) {
      const index = await referrers(version);
      expect(kinds(index)).toEqual(ALL_KINDS);
      for (const m of index.manifests) {
        expect(m.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
        const manifest = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/mattermost@${m.digest}`]));
        expect(manifest.subject.digest).toBe(digests[version]);
      }
    }
    // And the version index still lists only its two platforms (no attestation shows up as a platform)
    const idx = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/mattermost:10.4.1`]));
    expect(idx.manifests.map((m: any) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    // And the state and history record the referrer digests per kind
    const s = await state();
    expect(Object.keys(s.resources['mattermost@10.4.1'].attestations).sort()).toEqual(['provenance', 'sbom', 'signature']);
    expect(s.history.filter((e: any) => e.action === 'attest').map((e: any) => e.address).sort()).toEqual(['mattermost@10.4.0', 'mattermost@10.4.1']);
    // And the SBOM is trivy's SPDX document of the image, signed as a DSSE envelope about the index
    const sbomRef = (await referrers('10.4.1')).manifests.find((m: any) => m.annotations['dev.sigstore.bundle.predicateType'] === 'https://spdx.dev/Document');
    const layer = JSON.parse(Buffer.from((await world.backend.getManifest('mattermost', sbomRef.digest)).bytes).toString()).layers[0];
    const bundle = JSON.parse(Buffer.from(await world.backend.getBlob('mattermost', layer.digest)).toString());
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(statement.subject[0].digest.sha256).toBe(digests['10.4.1'].slice('sha256:'.length));
    expect(statement.predicate).toMatchObject({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT' });
    // And it records which trivy made it (the workflow pins trivy's version with setup-trivy)
    const trivy = findTrivy();
    const { Version } = JSON.parse((await execa(trivy!, ['--version', '--format', 'json'])).stdout) as { Version: string };
    expect(statement.predicate.creationInfo.creators).toContain(`Tool: trivy-${Version}`);
    // And the provenance names the mirror that made it: package.json's version, which the CLI
    // bundle's chunk finds by walking up (a path relative to the module broke when it moved there)
    const provenanceRef = (await referrers('10.4.1')).manifests.find((m: any) => m.annotations['dev.sigstore.bundle.predicateType'] === 'https://slsa.dev/provenance/v1');
    const provenanceLayer = JSON.parse(Buffer.from((await world.backend.getManifest('mattermost', provenanceRef.digest)).bytes).toString()).layers[0];
    const provenance = JSON.parse(Buffer.from(JSON.parse(Buffer.from(await world.backend.getBlob('mattermost', provenanceLayer.digest)).toString()).dsseEnvelope.payload, 'base64').toString());
    expect(provenance.predicate.runDetails.builder.version).toEqual({ mirror: PACKAGE_VERSION });
    // And mirror verify passes, and a plan has nothing left to do
    const verified = await run(['verify']);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/mattermost@10\.4\.1\s+sha256:\S+\s+ok\s+ok\s+ok/);
    expect(verified.stdout).toContain('Verified 2 versions: every attestation is present and valid.');
    const again = await run(['plan', '--detailed-exitcode'], { MIRROR_STATS: '1' });
    expect(again.exitCode, again.stdout).toBe(0);
    // And the plan's attestation look cost one referrers-API probe (404 here) and one fallback-index GET per version
    const stats = JSON.parse(/mirror-stats (.*)/.exec(again.stderr)![1]).registry.byKind;
    expect(stats).toMatchObject({ referrers: 1, 'manifest:GET': 2 });
  });

  it('re-attesting replaces each kind: still exactly one SBOM, provenance and signature per version', async () => {
    // Given the SBOM referrer dropped from 10.4.0's fallback index (an incomplete attestation)
    const before = await referrers('10.4.0');
    const without = { ...before, manifests: before.manifests.filter((m: any) => !m.annotations['dev.sigstore.bundle.predicateType'].includes('spdx')) };
    await world.backend.putManifest('mattermost', digests['10.4.0'].replace(':', '-'), new TextEncoder().encode(JSON.stringify(without)), 'application/vnd.oci.image.index.v1+json');
    const plan = await run(['plan', '--json']);
    expect(JSON.parse(plan.stdout).actions.map((a: any) => `${a.id} (${a.reason})`)).toEqual(['attest:mattermost@10.4.0 (attestations incomplete: missing SBOM)']);
    // When apply runs twice more
    for (let i = 0; i < 2; i += 1) {
      const r = await run(['apply', '--auto-approve']);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    }
    // Then there is one bundle per kind, none of the replaced ones, and the old ones are deleted
    const after = await referrers('10.4.0');
    expect(kinds(after)).toEqual(ALL_KINDS);
    expect(after.manifests.some((n: any) => before.manifests.some((m: any) => m.digest === n.digest))).toBe(false);
    // And the signature and provenance they replaced are deleted from the registry, not just unlisted
    expect(without.manifests).toHaveLength(2);
    for (const m of without.manifests) await expect(world.backend.headManifest('mattermost', m.digest)).resolves.toBeUndefined();
    expect((await run(['verify'])).exitCode).toBe(0);
  });

  it('verify fails naming the version when a byte of an attached bundle changes or a version tag is re-pointed', async () => {
    // Given one byte of 10.4.0's SBOM bundle changed in the registry's storage
    const sbom = (await referrers('10.4.0')).manifests.find((m: any) => m.annotations['dev.sigstore.bundle.predicateType'].includes('spdx'));
    const manifest = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/mattermost@${sbom.digest}`]));
    const hex = manifest.layers[0].digest.slice('sha256:'.length);
    const blob = path.join(world.registry.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(blob);
    bytes[bytes.length - 10] ^= 1;
    await writeFile(blob, bytes);
    // And 10.4.1's tag re-pointed at another index (10.4.0's)
    const other = await world.backend.getManifest('mattermost', '10.4.0');
    await world.backend.putManifest('mattermost', '10.4.1', other.bytes, other.descriptor.mediaType);
    // When verify runs
    const r = await run(['verify']);
    const json = await run(['verify', '--json']);
    // Then it exits 1 and names both versions with what is wrong
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/mattermost@10\.4\.0: sbom invalid: blob \S+ content does not match its digest/);
    expect(r.stdout).toContain(`mattermost@10.4.1: version tag 10.4.1 points at ${digests['10.4.0']}, the state records ${digests['10.4.1']}`);
    expect(r.stdout).toContain('2 of 2 versions have missing or invalid attestations.');
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.versions.find((v: any) => v.address === 'mattermost@10.4.0').attestations).toMatchObject({ signature: { status: 'ok' }, sbom: { status: 'invalid' }, provenance: { status: 'ok' } });
    // And verifying with another key fails every bundle
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const wrong = await run(['verify', 'mattermost@10.4.0', '--key', 'env:OTHER_KEY'], { OTHER_KEY: otherKey });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stdout).toMatch(/mattermost@10\.4\.0: signature invalid: signature does not verify/);
  });

  it('attests into an oci: layout registry: trivy scans the image in the directory, verify passes', async () => {
    // Given the newest version published into an OCI layout directory and recorded in its own state
    const layout = new OciLayoutBackend(path.join(world.dir, 'oci-reg'));
    const published = await publishVersions(layout, 'mattermost', ['10.4.1']);
    await writeFile(path.join(world.dir, 'layout.config.json'), JSON.stringify({ ...world.config, registry: { url: 'oci:./oci-reg' }, state: { path: '.mirror/layout-state.json' },
      defaults: { ...world.config.defaults, maxVersions: 1, floatingTags: [] } }));
    const cfg = ['--config', 'layout.config.json'];
    expect((await run(['import', 'mattermost', ...cfg])).exitCode).toBe(0);
    await markBuilt('layout-state.json');
    // When apply attests it with SBOMs on
    const applied = await run(['apply', '--auto-approve', ...cfg]);
    // Then every kind is attached (the SBOM too: trivy read the layout, not a registry URL)
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    const fallback = await layout.getManifest('mattermost', published['10.4.1'].replace(':', '-'));
    expect(kinds(JSON.parse(Buffer.from(fallback.bytes).toString()))).toEqual(ALL_KINDS);
    const verified = await run(['verify', ...cfg]);
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/mattermost@10\.4\.1\s+sha256:\S+\s+ok\s+ok\s+ok/);
  });

  it('a missing trivy fails only attest, saying how to get it or turn SBOMs off; the other kinds are attached', async () => {
    // Given a new published version and no trivy binary
    const more = await publishVersions(world.backend, 'mattermost', ['10.5.0']);
    world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.5.0' }, { tag_name: 'v10.4.1' }]);
    // (verify shows a window version the registry has and the state lacks as a failing row, attestations checked all the same)
    const untracked = await run(['verify', 'mattermost@10.5.0']);
    expect(untracked.exitCode, untracked.stderr).toBe(1);
    expect(untracked.stdout).toMatch(/^mattermost@10\.5\.0\s+sha256:\S+\s+missing\s+missing\s+missing\s+FAIL$/m);
    expect(untracked.stdout).toContain('mattermost@10.5.0: not in state (mirror import mattermost@10.5.0)');
    expect(JSON.parse((await run(['verify', 'mattermost@10.5.0', '--json'])).stdout).versions).toMatchObject([{ address: 'mattermost@10.5.0', digest: more['10.5.0'], recorded: null }]);
    expect((await run(['import', 'mattermost@10.5.0'])).exitCode).toBe(0);
    await markBuilt('state.json');
    const r = await run(['apply', '--auto-approve', '--target', 'mattermost@10.5.0'], { MIRROR_TRIVY: '/nonexistent/trivy' });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/attest mattermost@10\.5\.0: FAILED: Attesting mattermost@10\.5\.0 failed: SBOM: SBOM generation needs trivy, which was not found .*turn SBOMs off with attest: \{ sbom: false \}/);
    const index = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/mattermost:${more['10.5.0'].replace(':', '-')}`]));
    expect(kinds(index)).toEqual(['https://sigstore.dev/cosign/sign/v1', 'https://slsa.dev/provenance/v1']);
  });
});
