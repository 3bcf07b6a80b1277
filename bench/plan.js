#!/usr/bin/env node
// bench/plan — `npm run bench:plan [-- --rtt 40]` (or `node bench/plan.js [APPS] [--rtt MS]
// [--runs N] [--per-page N] [--cpu-prof DIR] [--skip-old] [--world steady|migration]` after
// `npm run build`). A synthetic world: APPS (200) GitHub apps × 12 releases served 5 per page,
// windows of 10 × 2 platforms, the older half of each window already in a real local registry
// (latest on the newest of those). `--world steady` (the default: the cron plan) has those
// versions recorded in the state by a real `mirror import` of every app, done once before the
// timed runs; `--world migration` has no state (the first plan over a registry an older pipeline
// filled: one GET per untracked version). With --rtt, a delay proxy (test/rig/delay-proxy.ts)
// sits in front of the registry and the emulator. Reports mirror plan wall time (cold and warm answer cache), peak RSS
// and request counts, the old pipeline's shell loop on the same world through the same proxies,
// and `mirror --version` against `node -e 0`.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jiti = createJiti(import.meta.url);
const { startRegistry } = await jiti.import(path.join(root, 'test/rig/registry.ts'));
const { startUpstreamEmulator } = await jiti.import(path.join(root, 'test/rig/upstream.ts'));
const { pushTestImage } = await jiti.import(path.join(root, 'test/rig/oci.ts'));
const { startDelayProxy } = await jiti.import(path.join(root, 'test/rig/delay-proxy.ts'));
const { createTestPki } = await jiti.import(path.join(root, 'test/rig/tls.ts'));
const { createRegistryBackend } = await import(path.join(root, 'dist/providers/registry/index.js'));
const { MediaType } = await import(path.join(root, 'dist/providers/registry/types.js'));
const { Agent } = await import(path.join(root, 'dist/system/undici.js'));
const { REGISTRY_CONNECTIONS, REGISTRY_PIPELINING, KEEP_ALIVE_AFTER_HEAD } = await import(path.join(root, 'dist/system/pools.js'));

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rtt: { type: 'string', default: '0' }, // ms of round trip added in front of the registry and the emulator
    runs: { type: 'string', default: '5' },
    'per-page': { type: 'string', default: '5' }, // releases the emulator serves per page
    'cpu-prof': { type: 'string' }, // directory: one extra cold run under node --cpu-prof
    'skip-old': { type: 'boolean', default: false },
    world: { type: 'string', default: 'steady' }, // steady: the state records the registry's versions; migration: no state
    baseline: { type: 'string' }, // another checkout (built): its plans interleaved with these, for an A/B on a busy machine
    tls: { type: 'boolean', default: false }, // the registry speaks HTTPS (a test CA mirror trusts through NODE_EXTRA_CA_CERTS), as a real one does
    hold: { type: 'boolean', default: false }, // set the world up, print how to plan in it, keep it until Ctrl-C (for profiling by hand)
  },
});
const APPS = Number(positionals[0] ?? 200);
const RELEASES = 12;
const RUNS = Number(opt.runs);
const RTT = Number(opt.rtt);
const PER_PAGE = Number(opt['per-page']);
const WORLD = opt.world;
if (WORLD !== 'steady' && WORLD !== 'migration') throw new Error(`--world ${WORLD}: expected steady or migration`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** CPU time (user+sys, ms) a process has used so far, from /proc/PID/stat (Linux only; clock ticks of 10 ms, as here: getconf CLK_TCK = 100). */
const cpuOf = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
/** CPU time (ms) of this process (the emulator and the delay proxies live here). */
const ownCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Run a command asynchronously (the emulator lives in this process), measuring wall time and peak RSS via GNU time. */
function timed(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M cpu_s=%U+%S', cmd, ...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = /cpu_s=([\d.]+)\+([\d.]+)/.exec(stderr);
      resolve({ code, ms, stdout, stderr, rssMb: Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? 0) / 1024, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN });
    });
  });
}

const dir = await mkdtemp(path.join(tmpdir(), 'mirror-bench-'));
// With --tls, every connection to the registry costs a TLS handshake (a round trip and its CPU), as on ghcr.io.
const pki = opt.tls ? await createTestPki(await mkdtemp(path.join(dir, 'pki-'))) : undefined;
const [registry, upstream] = await Promise.all([startRegistry(pki ? { tls: { certificate: pki.certificate, key: pki.key } } : {}), startUpstreamEmulator()]);
let registryProxy; let upstreamProxy;
try {
  process.stderr.write(`seeding ${APPS} apps × ${RELEASES} releases, half of each window in the registry…\n`);
  const backend = createRegistryBackend({ url: registry.url('bench'), insecure: true }, { env: {} });
  const apps = Array.from({ length: APPS }, (_, i) => `app${String(i).padStart(3, '0')}`);
  const versions = Array.from({ length: RELEASES }, (_, i) => `1.${RELEASES - 1 - i}.0`); // newest first
  const inRegistry = versions.slice(5, 10); // the older half of the 10-version window
  await Promise.all(apps.map(async (app) => {
    upstream.github.setReleases(`bench/${app}`, versions.map((v) => ({ tag_name: `v${v}` })));
    const amd = await pushTestImage(backend, app, { architecture: 'amd64' });
    const arm = await pushTestImage(backend, app, { architecture: 'arm64' });
    for (const v of inRegistry) {
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [amd, arm], annotations: { 'org.opencontainers.image.version': v } }));
      await backend.putManifest(app, v, index, MediaType.OciIndex);
      if (v === inRegistry[0]) await backend.putManifest(app, 'latest', index, MediaType.OciIndex);
    }
  }));
  await backend.close();

  // Over TLS the timed plans verify the registry's certificate (NODE_EXTRA_CA_CERTS below); the import
  // that builds the state runs in this process, which cannot trust the test CA after start: insecure.
  const writeConfig = (registryHost, upstreamUrl, verified = false) => writeFile(path.join(dir, 'mirror.config.ts'), `// generated by bench/plan.js\nexport default {\n  registry: { url: '${registryHost}/bench', insecure: ${!verified} },\n  defaults: { maxVersions: 10, platforms: ['linux/amd64', 'linux/arm64'], attest: { sbom: false, provenance: false, sign: false } },\n  apps: {\n${apps.map((a) => `    ${a}: { upstream: { type: 'github-releases', repository: 'bench/${a}', apiUrl: '${upstreamUrl}' }, source: { git: 'https://git.invalid/${a}.git', ref: 'v{version}' } },`).join('\n')}\n  },\n};\n`);
  const env = { ...process.env, MIRROR_STATS: '1', GITHUB_TOKEN: 'bench-token', XDG_CACHE_HOME: '', ...(pki ? { NODE_EXTRA_CA_CERTS: pki.ca } : {}) };
  const cacheDir = path.join(dir, '.mirror', 'cache'); // answers and transpiled config; the state (.mirror/state.json) stays

  // Steady state: what the cron plan sees after the first apply. The state is made by the real
  // `mirror import APP` path (the records an adopting apply writes: index + one build per platform,
  // and `latest`), once, straight to the registry and emulator; the timed plans reuse it.
  if (WORLD === 'steady') {
    process.stderr.write(`recording the registry's versions in the state (mirror import of each app)…\n`);
    await writeConfig(registry.host, upstream.url);
    const { importAddress } = await import(path.join(root, 'dist/services/import.js'));
    upstream.github.setRateLimit(5000);
    let records = 0;
    for (const app of apps) records += (await importAddress({ cwd: dir, env }, app)).imported.length;
    process.stderr.write(`state: ${records} records imported\n`);
  }

  // Everything mirror and the old loop talk to goes through the delay proxies (none at --rtt 0).
  if (RTT > 0) [registryProxy, upstreamProxy] = await Promise.all([startDelayProxy(registry.host, RTT), startDelayProxy(new URL(upstream.url).host, RTT)]);
  const registryHost = registryProxy?.host ?? registry.host;
  const upstreamUrl = upstreamProxy?.url ?? upstream.url;
  await writeConfig(registryHost, upstreamUrl, Boolean(pki));

  // mirror plan, cold (no upstream answer cache: the first plan on a runner) then warm (the cache
  // of the previous plan: conditional requests). A token, as in CI: GitHub does not count its 304s.
  upstream.setMaxPerPage(PER_PAGE);
  measure: {
  if (opt.hold) {
    upstream.github.setRateLimit(1e9); // plans by hand, as many as wanted (each timed plan below resets it to 5,000)
    process.stdout.write(`world ready; plan in it with:\n  cd ${dir} && MIRROR_STATS=1 GITHUB_TOKEN=bench-token XDG_CACHE_HOME= ${pki ? `NODE_EXTRA_CA_CERTS=${pki.ca} ` : ''}node ${path.join(root, 'bin/run.js')} plan --json >/dev/null\n(rm -rf ${cacheDir} for a cold plan). Ctrl-C ends it.\n`);
    await new Promise((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
    break measure; // the finally below stops the registry and emulator and removes the world
  }
  const planOnce = async (cold, nodeArgs = [], checkout = root) => {
    if (cold) await rm(cacheDir, { recursive: true, force: true });
    upstream.resetRequests();
    upstream.github.setRateLimit(5000);
    const before = { registry: cpuOf(registry.pid), bench: ownCpu() };
    const r = await timed(process.execPath, [...nodeArgs, path.join(checkout, 'bin/run.js'), 'plan', '--json'], { cwd: dir, env });
    if (r.code !== 0) throw new Error(`mirror plan failed: ${r.stderr}`);
    // What the other processes on these 2 cores spent meanwhile: on a real network it is spent elsewhere.
    r.beside = { registry: cpuOf(registry.pid) - before.registry, bench: ownCpu() - before.bench };
    const stats = JSON.parse(/mirror-stats (.*)/.exec(r.stderr)[1]);
    const plan = JSON.parse(r.stdout);
    // /rate_limit is read once per plan and costs nothing; it is listed apart from the window pages.
    const pages = upstream.requests.filter((q) => q.url !== '/rate_limit');
    return { ...r, stats, upstreamRequests: pages.length, budgetReads: upstream.requests.length - pages.length, rateUsed: upstream.github.rateLimit().used, summary: plan.summary };
  };
  process.stderr.write(`load average before: ${load()}\n`);
  // With --baseline, each run of this checkout follows one of the baseline, so both see the same load.
  const base = opt.baseline ? path.resolve(opt.baseline) : undefined;
  const baseCold = []; const baseWarm = [];
  const cold = [];
  for (let i = 0; i < RUNS; i++) { if (base) baseCold.push(await planOnce(true, [], base)); cold.push(await planOnce(true)); }
  const warm = [];
  for (let i = 0; i < RUNS; i++) { if (base) { await planOnce(true, [], base); await planOnce(false, [], base); baseWarm.push(await planOnce(false, [], base)); await planOnce(true); await planOnce(false); } warm.push(await planOnce(false)); }
  // Profiles: one cold plan and one warm plan, one .cpuprofile each, in the order run.
  if (opt['cpu-prof']) for (const c of [true, false]) await planOnce(c, ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opt['cpu-prof'])}`]);
  // Connections the plans opened, counted before the old loop (a new one per curl) goes through the same proxies.
  const planConnections = registryProxy ? { registry: registryProxy.connections(), upstream: upstreamProxy.connections() } : undefined;
  // The floor the registry sets: the steady plan's registry requests (a tag listing per repository,
  // then a HEAD of each recorded version and of latest) from a bare undici pool shaped like mirror's,
  // in a process already running. No client can get these answers faster on this machine.
  let floor;
  if (WORLD === 'steady') {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const agent = new Agent({ connections: REGISTRY_CONNECTIONS, pipelining: REGISTRY_PIPELINING, ...(pki ? { connect: { ca: readFileSync(pki.ca) } } : {}) });
      const origin = `${pki ? 'https' : 'http'}://${registryHost}`;
      const accept = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].join(', ');
      const cpu0 = cpuOf(registry.pid); const t0 = process.hrtime.bigint();
      await Promise.all(apps.map(async (app) => {
        await (await agent.request({ origin, path: `/v2/bench/${app}/tags/list`, method: 'GET' })).body.text();
        await Promise.all([...inRegistry, 'latest'].map(async (tag) => {
          const r = await agent.request({ origin, path: `/v2/bench/${app}/manifests/${tag}`, method: 'HEAD', headers: { accept }, ...KEEP_ALIVE_AFTER_HEAD });
          await r.body.dump();
          if (r.statusCode !== 200) throw new Error(`floor: HEAD ${app}:${tag} answered ${r.statusCode}`);
        }));
      }));
      runs.push({ ms: Number(process.hrtime.bigint() - t0) / 1e6, registryCpu: cpuOf(registry.pid) - cpu0 });
      await agent.close();
    }
    floor = { ms: median(runs.map((r) => r.ms)), registryCpu: median(runs.map((r) => r.registryCpu)) };
  }
  const best = cold[0];
  const planMs = median(cold.map((r) => r.ms));
  const warmMs = median(warm.map((r) => r.ms));
  const rss = Math.max(...cold.map((r) => r.rssMb), ...warm.map((r) => r.rssMb));

  // The old pipeline: one releases call per app (it did not paginate: per_page=MAX_VERSIONS), then curl --head per version.
  let old;
  if (!opt['skip-old']) {
    upstream.setMaxPerPage(100);
    upstream.github.setRateLimit(5000);
    old = await timed('bash', [path.join(root, 'bench/old-pipeline.sh'), upstreamUrl, registryHost, 'bench', '10', ...apps.map((a) => `bench/${a}`)], { env: { ...process.env, ...(pki ? { OLD_PIPELINE_CACERT: pki.ca } : {}) } });
    if (old.code !== 0) throw new Error(`old pipeline failed: ${old.stderr}`);
  }

  // mirror --version vs node -e 0, 9 interleaved runs each.
  const ver = []; const bare = [];
  for (let i = 0; i < 9; i++) {
    let t = process.hrtime.bigint();
    execFileSync(process.execPath, [path.join(root, 'bin/run.js'), '--version']);
    ver.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    execFileSync(process.execPath, ['-e', '0']);
    bare.push(Number(process.hrtime.bigint() - t) / 1e6);
  }

  const byKind = Object.entries(best.stats.registry.byKind).map(([k, n]) => `${k}=${n}`).join(' ');
  const w = warm[0];
  const lines = [
    `bench/plan — ${WORLD} world (${WORLD === 'steady' ? 'the registry\'s versions recorded in the state' : 'no state: untracked versions are read and imported'}), ${APPS} apps × ${RELEASES} releases (${PER_PAGE} per page), window 10 × 2 platforms, ${inRegistry.length} versions/app in the registry, ${RTT} ms round trip`,
    `plan (cold cache): median ${planMs.toFixed(0)} ms over ${RUNS} runs (${cold.map((r) => r.ms.toFixed(0)).join(', ')}); CPU (user+sys) median ${median(cold.map((r) => r.cpuMs)).toFixed(0)} ms (${cold.map((r) => r.cpuMs.toFixed(0)).join(', ')})`,
    `plan (warm cache): median ${warmMs.toFixed(0)} ms over ${RUNS} runs (${warm.map((r) => r.ms.toFixed(0)).join(', ')}); CPU median ${median(warm.map((r) => r.cpuMs)).toFixed(0)} ms; upstream answers ${w.stats.upstream?.notModified ?? "n/a"} × 304, ${w.stats.upstream?.fresh ?? "n/a"} × 200; GitHub rate limit spent ${w.rateUsed}`,
    ...(base ? [`baseline ${base}, interleaved: cold median ${median(baseCold.map((r) => r.ms)).toFixed(0)} ms, CPU ${median(baseCold.map((r) => r.cpuMs)).toFixed(0)} ms (${baseCold.map((r) => r.cpuMs.toFixed(0)).join(', ')}); warm median ${median(baseWarm.map((r) => r.ms)).toFixed(0)} ms, CPU ${median(baseWarm.map((r) => r.cpuMs)).toFixed(0)} ms (${baseWarm.map((r) => r.cpuMs.toFixed(0)).join(', ')}); this checkout warm CPU (${warm.map((r) => r.cpuMs.toFixed(0)).join(', ')})`] : []),
    `CPU beside mirror per plan (median, cold / warm): docker-registry ${median(cold.map((r) => r.beside.registry)).toFixed(0)} / ${median(warm.map((r) => r.beside.registry)).toFixed(0)} ms, emulator and delay proxies ${median(cold.map((r) => r.beside.bench)).toFixed(0)} / ${median(warm.map((r) => r.beside.bench)).toFixed(0)} ms (the same 2 cores; on a real network that work is done elsewhere)`,
    ...(floor ? [`registry floor: the same ${APPS * (inRegistry.length + 2)} registry requests from a bare undici pool (${REGISTRY_CONNECTIONS} connections, pipelining ${REGISTRY_PIPELINING}), median of 3: ${floor.ms.toFixed(0)} ms, docker-registry CPU ${floor.registryCpu.toFixed(0)} ms`] : []),
    `peak RSS ${rss.toFixed(0)} MB`,
    `plan result: ${JSON.stringify(best.summary)}`,
    `registry requests: ${best.stats.registry.requests} (${byKind}) for ${APPS} repositories${planConnections ? `; connections opened over the ${RUNS * (base ? 8 : 2) + (opt['cpu-prof'] ? 2 : 0)} plans${base ? ' (both checkouts)' : ''}: registry ${planConnections.registry}, upstream ${planConnections.upstream}` : ''}`,
    `upstream requests: ${best.upstreamRequests} (${(best.upstreamRequests / APPS).toFixed(1)} per app) + ${best.budgetReads} rate-limit read; cold: ${best.stats.upstream?.fresh ?? "n/a"} × 200`,
    old ? `old pipeline (curl + jq + curl --head per version, sequential): ${old.ms.toFixed(0)} ms → mirror plan is ${(old.ms / planMs).toFixed(1)}× faster` : 'old pipeline: skipped',
    `mirror --version: median ${median(ver).toFixed(0)} ms vs node -e 0: ${median(bare).toFixed(0)} ms → ${(median(ver) / median(bare)).toFixed(2)}×`,
    `load average (1, 5, 15 min) after: ${load()}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  } // measure
} finally {
  await Promise.all([registry.stop(), upstream.stop(), registryProxy?.stop(), upstreamProxy?.stop()]);
  await rm(dir, { recursive: true, force: true });
}
