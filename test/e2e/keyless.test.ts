/**
 * Keyless signing end to end, offline: apply signs with a certificate from a mock Fulcio for a
 * local OIDC token and logs each signature in a mock Rekor (test/rig/sigstore.ts, @sigstore/mock's
 * handlers over real HTTP); verify checks identity and issuer against the mock's trusted root. A
 * wrong identity or issuer fails naming it; a bundle without its transparency-log entry fails.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { listReferrers, attestationsIn } from '../../src/providers/attest/referrers.js';
import { BundleInvalidError, verifyBundle } from '../../src/providers/attest/verify-bundle.js';
import { BUNDLE_MEDIA_TYPE } from '../../src/providers/attest/types.js';
import { readArtifact } from '../../src/providers/registry/artifact.js';
import { oidcToken, startMockSigstore, type MockSigstore } from '../rig/sigstore.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

const IDENTITY = 'https://github.com/this-is-tobi/mirror/.github/workflows/mirror.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
let world: SeedWorld;
let sigstore: MockSigstore;
let env: Record<string, string>;

beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: ['10.4.1'], mostlymatter: [], outline: [] } });
  sigstore = await startMockSigstore(world.dir);
  world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.4.1' }]);
  const { mattermost } = world.config.apps;
  await world.writeConfig({
    ...world.config,
    defaults: { ...world.config.defaults, maxVersions: 1, platforms: ['linux/amd64'], attest: { sbom: false, provenance: true, sign: 'keyless' } },
    apps: { mattermost },
  });
  env = { SIGSTORE_ID_TOKEN: oidcToken({ iss: ISSUER, sub: IDENTITY }), MIRROR_FULCIO_URL: sigstore.url, MIRROR_REKOR_URL: sigstore.url };
}, 120_000);
afterAll(async () => { await Promise.all([world?.stop(), sigstore?.stop()]); });

const verify = (identity: string, issuer: string) => mirror(['verify', '--certificate-identity', identity, '--certificate-oidc-issuer', issuer, '--trusted-root', sigstore.trustedRootFile], { cwd: world.dir, env: {} });

describe('keyless signing against mock Fulcio and Rekor', () => {
  it('apply signs keyless, verify passes for the identity and issuer and fails naming a wrong one', async () => {
    // When apply runs with a local OIDC token and the mock Sigstore
    const apply = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env });
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Apply: 4 done, 0 failed, 0 skipped.');
    // Then each bundle got a certificate from Fulcio and an entry in Rekor
    expect(sigstore.requests.filter((r) => r.service === 'fulcio' && r.status === 201).length).toBeGreaterThanOrEqual(1);
    expect(sigstore.requests.filter((r) => r.service === 'rekor' && r.status === 201)).toHaveLength(2);

    // And verify passes for the right identity and issuer, offline
    const ok = await verify(IDENTITY, ISSUER);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/mattermost@10\.4\.1/);

    // A wrong identity (another branch) or issuer fails, naming what did not match
    const wrongIdentity = await verify(IDENTITY.replace('refs/heads/main', 'refs/heads/evil'), ISSUER);
    expect(wrongIdentity.exitCode).toBe(1);
    expect(wrongIdentity.stdout).toContain(`mattermost@10.4.1: signature invalid: certificate identity is ${IDENTITY}, expected ${IDENTITY.replace('refs/heads/main', 'refs/heads/evil')}`);
    const wrongIssuer = await verify(IDENTITY, 'https://accounts.example.com');
    expect(wrongIssuer.exitCode).toBe(1);
    expect(wrongIssuer.stdout).toContain(`mattermost@10.4.1: signature invalid: signature does not verify (invalid certificate extension - expected issuer=https://accounts.example.com, got issuer=${ISSUER})`);
  }, 300_000);

  it('a keyless bundle without its transparency-log entry does not verify', async () => {
    // Given the signature bundle apply attached
    const state = JSON.parse(await readFile(path.join(world.dir, '.mirror', 'state.json'), 'utf8'));
    const digest = state.resources['mattermost@10.4.1'].digest as string;
    const refs = attestationsIn((await listReferrers(world.backend, 'mattermost', digest)).manifests).get('signature') ?? [];
    expect(refs).toHaveLength(1);
    const artifact = await readArtifact(world.backend, 'mattermost', refs[0].digest, BUNDLE_MEDIA_TYPE);
    const bundle = JSON.parse(Buffer.from(artifact!.layer!).toString('utf8'));
    const policy = { type: 'keyless' as const, identity: IDENTITY, issuer: ISSUER, trustedRoot: TrustedRoot.fromJSON(JSON.parse(await readFile(sigstore.trustedRootFile, 'utf8'))) };
    // Then as attached it verifies, and with its tlog entries removed it does not
    expect(verifyBundle(bundle, policy).payloadType).toBe('application/vnd.in-toto+json');
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const stripped = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] } };
    expect(() => verifyBundle(stripped, policy)).toThrow(BundleInvalidError);
    expect(() => verifyBundle(stripped, policy)).toThrow(/signature does not verify \(.*(tlog|timestamp|transparency)/i);
  });
});
