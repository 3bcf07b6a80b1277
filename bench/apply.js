#!/usr/bin/env node
// bench/apply — `npm run bench:apply` (or `node bench/apply.js` after `npm run build`).
// 1. An up-to-date world (50 apps × 10 versions published): no-op `apply --auto-approve` vs `plan`.
// 2. Merge + tag of 50 versions whose platform images are already pushed and recorded in state:
//    wall time, and blob uploads (must be 0: merging moves no blob).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jiti = createJiti(import.meta.url);
const { startRegistry } = await jiti.import(path.join(root, 'test/rig/registry.ts'));
const { startUpstreamEmulator } = await jiti.import(path.join(root, 'test/rig/upstream.ts'));
const { pushTestImage } = await jiti.import(path.join(root, 'test/rig/oci.ts'));
const { publishVersions } = await jiti.import(path.join(root, 'test/rig/world.ts'));
const { createRegistryBackend } = await import(path.join(root, 'dist/providers/registry/index.js'));
const { FileStateStore } = await import(path.join(root, 'dist/state/file-store.js'));
const { newState } = await import(path.join(root, 'dist/state/new-state.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function cli(args, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), ...args], { cwd, env: { ...process.env, MIRROR_STATS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}
const config = (registryUrl, upstreamUrl, apps, maxVersions) => `export default {
  registry: { url: '${registryUrl}', insecure: true },
  defaults: { maxVersions: ${maxVersions}, platforms: ['linux/amd64', 'linux/arm64'], attest: { sbom: false, provenance: false, sign: false } },
  apps: {
${apps.map((a) => `    ${a}: { upstream: { type: 'github-releases', repository: 'bench/${a}', apiUrl: '${upstreamUrl}' }, source: { git: 'https://git.invalid/${a}.git' } },`).join('\n')}
  },
};\n`;

const [registry, upstream] = await Promise.all([startRegistry(), startUpstreamEmulator()]);
const dir = await mkdtemp(path.join(tmpdir(), 'mirror-bench-apply-'));
const lines = [];
try {
  // 1. no-op apply vs plan
  const backend = createRegistryBackend({ url: registry.url('noop'), insecure: true }, { env: {} });
  const apps = Array.from({ length: 50 }, (_, i) => `app${String(i).padStart(2, '0')}`);
  const versions = Array.from({ length: 10 }, (_, i) => `2.${9 - i}.0`);
  process.stderr.write('seeding 50 up-to-date apps…\n');
  await Promise.all(apps.map(async (a) => {
    upstream.github.setReleases(`bench/${a}`, versions.map((v) => ({ tag_name: `v${v}` })));
    await publishVersions(backend, a, versions, { latest: versions[0] });
  }));
  const noop = path.join(dir, 'noop');
  await mkdir(noop);
  await writeFile(path.join(noop, 'mirror.config.ts'), config(registry.url('noop'), upstream.url, apps, 10));
  const plans = []; const applies = [];
  for (let i = 0; i < 5; i++) {
    const p = await cli(['plan', '--detailed-exitcode'], noop);
    if (p.code !== 0) throw new Error(`plan: ${p.stdout}${p.stderr}`);
    plans.push(p.ms);
    const a = await cli(['apply', '--auto-approve'], noop);
    if (a.code !== 0 || !a.stdout.includes('No changes')) throw new Error(`apply: ${a.stdout}${a.stderr}`);
    applies.push(a.ms);
  }
  lines.push(`no-op apply (50 apps × 10 versions, up to date): median ${median(applies).toFixed(0)} ms vs plan ${median(plans).toFixed(0)} ms → ${(median(applies) / median(plans)).toFixed(2)}× (target ≤ 1.5×)`);

  // 2. merge + tag of 50 versions with platform images already pushed and recorded
  process.stderr.write('pushing 100 platform images for 50 versions…\n');
  const mergeDir = path.join(dir, 'merge');
  await mkdir(mergeDir);
  const b2 = createRegistryBackend({ url: registry.url('merge'), insecure: true }, { env: {} });
  const mv = Array.from({ length: 50 }, (_, i) => `3.${49 - i}.0`);
  upstream.github.setReleases('bench/big', mv.map((v) => ({ tag_name: `v${v}` })));
  const state = newState();
  const now = new Date().toISOString();
  await Promise.all(mv.map(async (v) => {
    for (const arch of ['amd64', 'arm64']) {
      const d = await pushTestImage(b2, 'big', { architecture: arch, content: `big ${v} ${arch}` });
      state.resources[`big@${v}/linux/${arch}`] = { type: 'build', app: 'big', image: 'big', version: v, platform: `linux/${arch}`, digest: d.digest, upstream: { tag: `v${v}` }, createdAt: now, updatedAt: now };
    }
  }));
  await b2.close();
  await writeFile(path.join(mergeDir, 'mirror.config.ts'), config(registry.url('merge'), upstream.url, ['big'], 50));
  await new FileStateStore(path.join(mergeDir, '.mirror/state.json')).write(state);
  const m = await cli(['apply', '--auto-approve', '--parallelism', '8'], mergeDir);
  if (m.code !== 0) throw new Error(`merge apply: ${m.stdout}${m.stderr}`);
  const stats = JSON.parse(/mirror-stats (.*)/.exec(m.stderr)[1]).registry;
  const uploads = (stats.byKind['blob:POST'] ?? 0) + (stats.byKind['blob:PUT'] ?? 0);
  lines.push(`merge + tag of 50 versions (builds already pushed): ${m.ms.toFixed(0)} ms wall for the whole command (target ≤ 5000 ms); ${/Apply: .*/.exec(m.stdout)?.[0]}`);
  lines.push(`  registry requests by the steps: ${stats.requests} (${Object.entries(stats.byKind).map(([k, n]) => `${k}=${n}`).join(' ')}); blob uploads: ${uploads}`);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await Promise.all([registry.stop(), upstream.stop()]);
  await rm(dir, { recursive: true, force: true });
}
