#!/usr/bin/env node
// npm run demo: the migration from the old pipeline, with the seed-shaped apps (Mattermost,
// Mostlymatter, Outline) against local upstream emulators and a real local registry, no internet.
// The registry already holds what an earlier pipeline pushed (one multi-arch version, one
// single-platform leftover) and there is no state: plan (import, rebuild, new builds), apply (real
// buildah builds, arm64 through QEMU, then SBOM + provenance + signature attached as referrers),
// plan again (empty), mirror verify. Exits 1 if any step does not do what it says.
// Windows are 2 versions so the 14 builds take about a minute. The rig is
// TypeScript (test/rig); jiti, already mirror's config loader, runs it without a separate build.
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createJiti } from 'jiti';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jiti = createJiti(import.meta.url);
const { startSeedWorld, publishVersions } = await jiti.import(path.join(root, 'test/rig/world.ts'));
const { pushTestImage } = await jiti.import(path.join(root, 'test/rig/oci.ts'));

// A throwaway ECDSA P-256 signing key: attestations are signed offline, no Sigstore service needed.
const signingKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const say = (text) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
// Asynchronous on purpose: the emulators live in this process and must keep answering.
const mirror = async (args, cwd, opts = {}) => {
  if (!opts.quiet) process.stdout.write(`$ mirror ${args.join(' ')}\n`);
  return execa(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
    cwd, reject: false, stdout: opts.quiet ? 'pipe' : 'inherit', stderr: 'inherit', env: { FORCE_COLOR: '1', MIRROR_SIGNING_KEY: signingKey },
  });
};

const world = await startSeedWorld({ sources: { mattermost: ['10.4.0', '10.4.1'], mostlymatter: ['10.4.0', '10.4.1'], outline: ['1.9.10', '1.10.0'] } });
try {
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: true, provenance: true, sign: { key: 'env:MIRROR_SIGNING_KEY' } } } });
  say(`Local registry ${world.registry.host}, upstream emulator ${world.upstream.url}`);
  process.stdout.write(`Config: ${world.configPath} (windows of 2 versions; attestations signed with a throwaway P-256 key from MIRROR_SIGNING_KEY)\n`);
  say('Migrating: the old pipeline left mattermost 10.4.0 (multi-arch, latest) and mostlymatter 10.4.0 (a single-platform image); there is no state');
  await publishVersions(world.backend, 'mattermost', ['10.4.0'], { latest: '10.4.0' });
  await pushTestImage(world.backend, 'mostlymatter', { architecture: 'amd64', tag: '10.4.0', content: 'mostlymatter 10.4.0 amd64, legacy single-platform build' });
  say('mirror validate');
  await mirror(['validate'], world.dir);
  say('mirror plan: adopt what is complete (import), rebuild the single-platform leftover, build what is missing');
  const first = await mirror(['plan', '--detailed-exitcode', '--out', 'plan.json'], world.dir);
  process.stdout.write(`exit code ${first.exitCode} (2 = changes pending)\n`);
  if (first.exitCode !== 2) throw new Error('the first plan should have changes');
  say('mirror apply plan.json: imports recorded, per-platform builds pushed by digest, index merges, latest, attestations');
  const applied = await mirror(['apply', 'plan.json'], world.dir);
  if (applied.exitCode !== 0) throw new Error('apply failed');
  say('mirror plan again: nothing left to do');
  const again = await mirror(['plan', '--detailed-exitcode'], world.dir);
  if (again.exitCode !== 0) throw new Error(`the plan after apply should be empty (exit ${again.exitCode})`);
  say('From outside (skopeo): mostlymatter:10.4.0 is now a multi-arch index');
  const raw = await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${world.registry.host}/mirror/mostlymatter:10.4.0`]);
  const index = JSON.parse(raw.stdout);
  for (const m of index.manifests) process.stdout.write(`  ${m.platform.os}/${m.platform.architecture}  ${m.digest}\n`);
  say('mirror plan --format markdown after a new upstream release (for a PR comment), first lines');
  world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.5.0' }, { tag_name: 'v10.4.1' }, { tag_name: 'v10.4.0' }]);
  const md = await mirror(['plan', '--format', 'markdown', '--target', 'mattermost'], world.dir, { quiet: true });
  process.stdout.write(`${md.stdout.split('\n').slice(0, 12).join('\n')}\n…\n`);
  world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.4.1' }, { tag_name: 'v10.4.0' }]);
  say('mirror verify: signature, SBOM and provenance of every recorded version (the adopted one has no provenance of ours: "adopted")');
  const verified = await mirror(['verify'], world.dir);
  if (verified.exitCode !== 0) throw new Error('verify failed');
} finally {
  await world.stop();
}
