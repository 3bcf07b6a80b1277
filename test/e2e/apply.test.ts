import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATTERMOST_RELEASES } from '../rig/seed-world.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
beforeAll(async () => {
  // Windows of 2 keep the real builds (16, half of them arm64 under QEMU) to about a minute.
  world = await startSeedWorld({ sources: { mattermost: ['10.4.0', '10.4.1', '10.5.0', '10.6.0'], mostlymatter: ['10.4.0', '10.4.1'], outline: ['1.9.10', '1.10.0'] } });
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } } });
}, 120_000);
afterAll(async () => { await world?.stop(); });

const run = (args: string[], env: Record<string, string> = {}) => mirror(args, { cwd: world.dir, env });
const skopeo = async (args: string[]) => (await execa('skopeo', [...args, '--tls-verify=false'])).stdout;
const ref = (image: string, tag: string) => `docker://${world.registry.host}/mirror/${image}:${tag}`;
const state = async () => JSON.parse(await readFile(path.join(world.dir, '.mirror', 'state.json'), 'utf8'));

/** Check from outside: a two-platform index whose entries' configs have the right architecture. */
async function expectTwoPlatformIndex(image: string, tag: string) {
  const index = JSON.parse(await skopeo(['inspect', '--raw', ref(image, tag)]));
  expect(index.mediaType, `${image}:${tag}`).toBe('application/vnd.oci.image.index.v1+json');
  expect(index.manifests.map((m: any) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
  for (const arch of ['amd64', 'arm64']) {
    const config = JSON.parse(await skopeo(['inspect', '--config', '--override-arch', arch, ref(image, tag)]));
    expect(config.architecture, `${image}:${tag} ${arch}`).toBe(arch);
    expect(config.config.Labels['org.opencontainers.image.version']).toBe(tag);
  }
  return index;
}

describe('mirror apply against the seed-shaped rig (real buildah, arm64 through QEMU)', () => {
  it('refuses to apply without confirmation in a non-interactive session', async () => {
    const r = await run(['apply']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Error: Refusing to apply without confirmation: this is not an interactive terminal\.\nPass --auto-approve/);
  });

  it('builds every window version as a two-platform index, latest on the semver max, and converges', async () => {
    // When applying the seed world
    const r = await run(['apply', '--auto-approve']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Apply: 28 done, 0 failed, 0 skipped.');
    // Then every version is a two-platform index with the right architectures, checked with skopeo
    for (const [image, versions] of [['mattermost', ['10.4.1', '10.4.0']], ['mostlymatter', ['10.4.1', '10.4.0']], ['base-outline', ['1.10.0', '1.9.10']], ['outline', ['1.10.0', '1.9.10']]] as const) {
      for (const v of versions) await expectTwoPlatformIndex(image, v);
      expect(await skopeo(['inspect', '--raw', ref(image, 'latest')])).toBe(await skopeo(['inspect', '--raw', ref(image, versions[0])]));
    }
    // And no tag other than versions and latest exists (nothing pushed a single-platform :latest)
    expect(JSON.parse(await skopeo(['list-tags', `docker://${world.registry.host}/mirror/mattermost`])).Tags.sort()).toEqual(['10.4.0', '10.4.1', 'latest']);
    // And Outline's app image is built FROM the base built in this run (its layers start with the base's)
    for (const arch of ['amd64', 'arm64']) {
      const app = JSON.parse(await skopeo(['inspect', '--raw', '--override-arch', arch, ref('outline', '1.10.0')]));
      const base = JSON.parse(await skopeo(['inspect', '--raw', '--override-arch', arch, ref('base-outline', '1.10.0')]));
      const appManifest = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/outline@${app.manifests.find((m: any) => m.platform.architecture === arch).digest}`]));
      const baseManifest = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/base-outline@${base.manifests.find((m: any) => m.platform.architecture === arch).digest}`]));
      expect(appManifest.layers.slice(0, baseManifest.layers.length).map((l: any) => l.digest)).toEqual(baseManifest.layers.map((l: any) => l.digest));
      expect(appManifest.layers.length).toBeGreaterThan(baseManifest.layers.length);
    }
    // And the state records the upstream tag and commit the build came from
    const s = await state();
    expect(s.resources['mattermost@10.4.1/linux/arm64']).toMatchObject({ type: 'build', upstream: { tag: 'v10.4.1', commit: world.sources!.commits.mattermost['v10.4.1'] }, builder: 'buildah' });
    expect(s.resources['mattermost@10.4.1']).toMatchObject({ type: 'index', platforms: ['linux/amd64', 'linux/arm64'] });
    // And a second plan has nothing to do
    const again = await run(['plan', '--detailed-exitcode']);
    expect(again.exitCode, again.stdout).toBe(0);
  });

  it('a new upstream release yields exactly its builds, one merge and the latest move', async () => {
    world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.5.0' }, ...MATTERMOST_RELEASES]);
    const r = await run(['apply', '--auto-approve', '--json']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const done = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'done').map((e) => e.id).sort();
    expect(done).toEqual(['build:mattermost@10.5.0/linux/amd64', 'build:mattermost@10.5.0/linux/arm64', 'merge:mattermost@10.5.0', 'tag:mattermost:latest']);
    await expectTwoPlatformIndex('mattermost', '10.5.0');
    // Nothing is deleted: 10.4.0 left the window but stays
    expect(JSON.parse(await skopeo(['list-tags', `docker://${world.registry.host}/mirror/mattermost`])).Tags.sort()).toEqual(['10.4.0', '10.4.1', '10.5.0', 'latest']);
  });

  it('a failing build fails only its version; the next apply retries only what failed', async () => {
    // Given 10.6.0 whose arm64 tarball is missing upstream
    world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.6.0' }, { tag_name: 'v10.5.0' }, ...MATTERMOST_RELEASES]);
    world.upstream.files.delete('/releases/10.6.0/mattermost-10.6.0-linux-arm64.tar.gz');
    const summary = path.join(world.dir, 'step-summary.md');
    const first = await run(['apply', '--auto-approve'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    // Then the arm64 build fails, its merge and the latest move are skipped, the rest is done, exit 1
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toMatch(/✗ build mattermost@10\.6\.0\/linux\/arm64: FAILED: buildah build failed/);
    expect(first.stdout).toContain('Apply: 1 done, 1 failed, 2 skipped.');
    expect(first.stdout).toContain('skipped merge:mattermost@10.6.0: depends on build:mattermost@10.6.0/linux/arm64, which failed');
    expect(JSON.parse(await skopeo(['list-tags', `docker://${world.registry.host}/mirror/mattermost`])).Tags).not.toContain('10.6.0');
    // And in GitHub Actions the failed build's log is a ::group:: block and the step summary lists the failure
    expect(first.stdout).toMatch(/::group::build mattermost@10\.6\.0\/linux\/arm64 log\n[^]*STEP[^]*::endgroup::/);
    expect(first.stdout).toContain('::error title=mirror build failed::mattermost@10.6.0/linux/arm64');
    expect(await readFile(summary, 'utf8')).toContain('| `build:mattermost@10.6.0/linux/arm64` | ❌ failed | buildah build failed');
    // When the tarball appears and apply runs again
    const { gzipSync } = await import('node:zlib');
    const { tarWithFile } = await import('../rig/oci.js');
    world.upstream.files.set('/releases/10.6.0/mattermost-10.6.0-linux-arm64.tar.gz', Buffer.from(gzipSync(tarWithFile('mattermost/bin/mattermost', '#!/bin/sh\necho 10.6.0\n'))));
    const amdDigest = (await state()).resources['mattermost@10.6.0/linux/amd64'].digest;
    const second = await run(['apply', '--auto-approve', '--json']);
    expect(second.exitCode, second.stdout).toBe(0);
    const done = second.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'done').map((e) => e.id).sort();
    expect(done).toEqual(['build:mattermost@10.6.0/linux/arm64', 'merge:mattermost@10.6.0', 'tag:mattermost:latest']);
    const index = await expectTwoPlatformIndex('mattermost', '10.6.0');
    expect(index.manifests[0].digest).toBe(amdDigest);
  });
});

describe('attesting the built versions (provenance of a real buildah build)', () => {
  it('names the upstream commit the tag resolved to, the base image digests and each build-arg URL; verify passes', async () => {
    // Given the versions built above and attestation switched on with a throwaway P-256 key
    const { generateKeyPairSync } = await import('node:crypto');
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, attest: { sbom: true, provenance: true, sign: { key: 'env:MIRROR_SIGNING_KEY' } } } });
    // When the built versions are attested
    const r = await run(['apply', '--auto-approve', '--json', '--target', 'mattermost@10.6.0', '--target', 'outline@1.10.0'], { MIRROR_SIGNING_KEY: key });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const done = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'done').map((e) => e.id).sort();
    expect(done).toEqual(['attest:mattermost@10.6.0', 'attest:outline/base-outline@1.10.0', 'attest:outline@1.10.0']); // outline@1.10.0 covers both images of the app
    // Then the provenance names the upstream commit, the base images by digest and each build-arg URL
    const s = await state();
    const provenance = async (image: string, address: string) => {
      const digest = s.resources[address].attestations.provenance;
      const layer = JSON.parse(Buffer.from((await world.backend.getManifest(image, digest)).bytes).toString()).layers[0];
      const bundle = JSON.parse(Buffer.from(await world.backend.getBlob(image, layer.digest)).toString());
      return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    };
    const mm = await provenance('mattermost', 'mattermost@10.6.0');
    const deps = mm.predicate.buildDefinition.resolvedDependencies;
    expect(deps[0]).toMatchObject({ name: 'source', digest: { gitCommit: world.sources!.commits.mattermost['v10.6.0'] } });
    const baseIndex = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/base-busybox:1`]));
    const bases = deps.filter((d: any) => d.name === 'base-image').map((d: any) => `${d.annotations.platform} sha256:${d.digest.sha256}`);
    expect(bases).toEqual(baseIndex.manifests.map((m: any) => `${m.platform.os}/${m.platform.architecture} ${m.digest}`));
    for (const arch of ['amd64', 'arm64']) {
      expect(deps).toContainEqual({ uri: `${world.upstream.url}/releases/10.6.0/mattermost-10.6.0-linux-${arch}.tar.gz?src=docker`, name: 'build-arg:MM_PACKAGE', annotations: { platform: `linux/${arch}` } });
    }
    expect(mm.subject[0].digest.sha256).toBe(s.resources['mattermost@10.6.0'].digest.slice('sha256:'.length));
    // And Outline's app names the base-outline image it was built FROM (the {image:base-outline} build arg) by digest
    const ol = await provenance('outline', 'outline@1.10.0');
    const baseOutline = s.resources['outline/base-outline@1.10.0/linux/arm64'].digest.slice('sha256:'.length);
    expect(ol.predicate.buildDefinition.resolvedDependencies).toContainEqual(expect.objectContaining({ name: 'build-arg:BASE_IMAGE', digest: { sha256: baseOutline } }));
    // And mirror verify passes for the attested version
    const verified = await run(['verify', 'mattermost@10.6.0'], { MIRROR_SIGNING_KEY: key });
    expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
  });
});
