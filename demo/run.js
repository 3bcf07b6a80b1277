#!/usr/bin/env node
// npm run demo: the seed-shaped apps (Mattermost, Mostlymatter, Outline) against local upstream
// emulators and a real local registry, no internet: plan, apply (real buildah builds, arm64 through
// QEMU, then SBOM + provenance + signature attached as referrers), plan again, mirror verify.
// Windows are 2 versions so the 16 builds take well under a minute. The rig is
// TypeScript (test/rig); jiti, already mirror's config loader, runs it without a separate build.
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createJiti } from 'jiti';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jiti = createJiti(import.meta.url);
const { startSeedWorld, publishVersions } = await jiti.import(path.join(root, 'test/rig/world.ts'));

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
  say('An earlier pipeline already mirrored mattermost 10.4.0, with latest → 10.4.0');
  await publishVersions(world.backend, 'mattermost', ['10.4.0'], { latest: '10.4.0' });
  say('mirror validate');
  await mirror(['validate'], world.dir);
  say('mirror plan: what is missing, and why');
  const { exitCode } = await mirror(['plan', '--detailed-exitcode', '--out', 'plan.json'], world.dir);
  process.stdout.write(`exit code ${exitCode} (2 = changes pending)\n`);
  say('mirror apply plan.json: per-platform builds pushed by digest, index merge, latest, attestations');
  const applied = await mirror(['apply', 'plan.json'], world.dir);
  if (applied.exitCode !== 0) throw new Error('apply failed');
  say('mirror plan again: nothing left to do');
  await mirror(['plan', '--detailed-exitcode'], world.dir);
  say('From outside (skopeo): mattermost:latest');
  const raw = await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${world.registry.host}/mirror/mattermost:latest`]);
  const index = JSON.parse(raw.stdout);
  for (const m of index.manifests) process.stdout.write(`  ${m.platform.os}/${m.platform.architecture}  ${m.digest}\n`);
  say('mirror verify: signature, SBOM and provenance of every recorded version');
  const verified = await mirror(['verify'], world.dir);
  if (verified.exitCode !== 0) throw new Error('verify failed');
  say('mirror plan --format markdown (for a PR comment), first lines');
  world.upstream.github.setReleases('mattermost/mattermost', [{ tag_name: 'v10.5.0' }, { tag_name: 'v10.4.1' }, { tag_name: 'v10.4.0' }]);
  const md = await mirror(['plan', '--format', 'markdown', '--target', 'mattermost'], world.dir, { quiet: true });
  process.stdout.write(`${md.stdout.split('\n').slice(0, 12).join('\n')}\n…\n`);
} finally {
  await world.stop();
}
