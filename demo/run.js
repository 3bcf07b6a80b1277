#!/usr/bin/env node
// npm run demo: the seed-shaped apps (Mattermost, Mostlymatter, Outline) against local upstream
// emulators and a real local registry, no internet. The rig is TypeScript (test/rig); jiti, already
// mirror's config loader, runs it without a separate build.
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jiti = createJiti(import.meta.url);
const { startSeedWorld, publishVersions } = await jiti.import(path.join(root, 'test/rig/world.ts'));

const say = (text) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
// Asynchronous on purpose: the emulators live in this process and must keep answering.
const mirror = async (args, cwd, opts = {}) => {
  if (!opts.quiet) process.stdout.write(`$ mirror ${args.join(' ')}\n`);
  const r = await execa(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
    cwd, reject: false, stdout: opts.quiet ? 'pipe' : 'inherit', stderr: 'inherit', env: { FORCE_COLOR: '1' },
  });
  return r;
};

const world = await startSeedWorld();
try {
  say(`Local registry ${world.registry.host}, upstream emulator ${world.upstream.url}`);
  process.stdout.write(`Config: ${world.configPath}\n`);
  say('An earlier pipeline already mirrored mattermost 10.2.0 … 10.3.1 with latest → 10.3.1');
  await publishVersions(world.backend, 'mattermost', ['10.2.0', '10.2.1', '10.3.0', '10.3.1'], { latest: '10.3.1' });
  say('mirror validate');
  await mirror(['validate'], world.dir);
  say('mirror plan (what is missing, and why)');
  const { exitCode } = await mirror(['plan', '--detailed-exitcode', '--out', 'plan.json'], world.dir);
  process.stdout.write(`exit code ${exitCode} (2 = changes pending)\n`);
  say('mirror plan --format markdown (for a PR comment), first lines');
  const md = await mirror(['plan', '--format', 'markdown', '--target', 'mattermost'], world.dir, { quiet: true });
  process.stdout.write(`${md.stdout.split('\n').slice(0, 14).join('\n')}\n…\n`);
  say('Saved plan: plan.json (apply comes with the apply issue; see README)');
} finally {
  await world.stop();
}
