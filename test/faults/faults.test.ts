/**
 * The fault suite: plan + apply a world through fault-injecting proxies in front of the real
 * registry and the upstream emulator, for every fault kind at 10 % and 30 %, and count runs that
 * converged, runs that failed cleanly (exit 1, one clear error, a valid state), publications that
 * are wrong (a tag on anything but the right two-platform index), and digests lost (state naming
 * what the registry does not hold). The last two must be 0. A failed run must converge on the
 * next clean apply (resume).
 *
 * `npm test` runs one world per cell; `npm run test:faults` runs FAULT_RUNS (5) and prints the table.
 */
import { execSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import type { RegistryBackend } from '../../src/providers/registry/types.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { newState } from '../../src/state/new-state.js';
import type { State } from '../../src/state/types.js';
import { mirror } from '../e2e/cli.js';
import { startFaultProxy, type FaultKind, type FaultProxy } from '../rig/fault-proxy.js';
import { pushTestImage } from '../rig/oci.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../rig/upstream.js';

const RUNS = Number(process.env.FAULT_RUNS ?? 1);
const KINDS: FaultKind[] = ['500', '502', '503', '429', 'reset', 'truncate', 'delay'];
const RATES = [0.1, 0.3];
const VERSIONS = ['1.3.0', '1.2.0', '1.1.0', '1.0.0'];
const ENV = { MIRROR_RETRY_BASE_MS: '2' };

let registry: TestRegistry;
let upstream: UpstreamEmulator;
let regProxy: FaultProxy;
let upProxy: FaultProxy;
let direct: RegistryBackend;
let root: string;
beforeAll(async () => {
  [registry, upstream] = await Promise.all([startRegistry(), startUpstreamEmulator()]);
  [regProxy, upProxy] = await Promise.all([startFaultProxy(`http://${registry.host}`), startFaultProxy(upstream.url)]);
  upstream.github.setReleases('faults/fa', VERSIONS.map((v) => ({ tag_name: `v${v}` })));
  direct = createRegistryBackend({ url: registry.url('faults'), insecure: true }, { env: {} });
  root = await mkdtemp(path.join(tmpdir(), 'mirror-faults-'));
});
afterAll(async () => {
  await direct?.close();
  await Promise.all([regProxy?.stop(), upProxy?.stop(), registry?.stop(), upstream?.stop()]);
  await rm(root, { recursive: true, force: true });
});

interface World {
  dir: string;
  ns: string;
  /** Expected platform digests per version (what the "earlier run" pushed). */
  builds: Record<string, Record<string, string>>;
  stateFile: string;
}

const configFor = (ns: string, registryHost: string, apiUrl: string) => JSON.stringify({
  registry: { url: `${registryHost}/${ns}`, insecure: true },
  defaults: { maxVersions: VERSIONS.length, platforms: ['linux/amd64', 'linux/arm64'], attest: { sbom: false, provenance: false, sign: false } },
  apps: { fa: { upstream: { type: 'github-releases', repository: 'faults/fa', apiUrl }, source: { git: 'https://git.invalid/fa.git' } } },
});

/** A world whose platform images an earlier run pushed and recorded: apply merges and tags. */
async function seedWorld(name: string): Promise<World> {
  const ns = `f-${name}`;
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const backend = createRegistryBackend({ url: registry.url(ns), insecure: true }, { env: {} });
  const state = newState();
  const now = new Date().toISOString();
  const builds: World['builds'] = {};
  for (const v of VERSIONS) {
    builds[v] = {};
    for (const arch of ['amd64', 'arm64']) {
      const d = await pushTestImage(backend, 'fa', { architecture: arch, content: `${ns} ${v} ${arch}` });
      builds[v][arch] = d.digest;
      state.resources[`fa@${v}/linux/${arch}`] = { type: 'build', app: 'fa', image: 'fa', version: v, platform: `linux/${arch}`, digest: d.digest, upstream: { tag: `v${v}` }, createdAt: now, updatedAt: now };
    }
  }
  await backend.close();
  const stateFile = path.join(dir, '.mirror', 'state.json');
  await new FileStateStore(stateFile).write(state);
  await writeFile(path.join(dir, 'mirror.config.json'), configFor(ns, regProxy.host, upProxy.url));
  return { dir, ns, builds, stateFile };
}

/** Check the registry from outside (no proxy): every tag is right, every recorded digest is there. */
async function audit(world: World): Promise<{ wrong: string[]; lost: string[]; state?: State }> {
  const backend = createRegistryBackend({ url: registry.url(world.ns), insecure: true }, { env: {} });
  const wrong: string[] = [];
  const lost: string[] = [];
  try {
    const tags = await backend.listTags('fa');
    const indexDigest: Record<string, string> = {};
    for (const tag of tags.filter((t) => t !== 'latest')) {
      const m = await backend.getManifest('fa', tag);
      const body = JSON.parse(Buffer.from(m.bytes).toString()) as { manifests?: Array<{ digest: string; platform?: { architecture: string } }> };
      const expected = world.builds[tag];
      const got = Object.fromEntries((body.manifests ?? []).map((d) => [d.platform?.architecture, d.digest]));
      if (!expected || JSON.stringify(got) !== JSON.stringify({ amd64: expected.amd64, arm64: expected.arm64 })) wrong.push(`${tag} → ${JSON.stringify(got)}`);
      indexDigest[tag] = m.descriptor.digest;
    }
    if (tags.includes('latest')) {
      const latest = await backend.headManifest('fa', 'latest');
      if (!latest || latest.digest !== indexDigest[VERSIONS[0]]) wrong.push(`latest → ${latest?.digest}`);
    }
    for (const v of VERSIONS) for (const d of Object.values(world.builds[v])) if (!(await backend.headManifest('fa', d))) lost.push(`pushed build ${d}`);
    let state: State | undefined;
    try {
      state = await new FileStateStore(world.stateFile).read();
    } catch (error) {
      lost.push(`state unreadable: ${(error as Error).message}`);
    }
    for (const [address, r] of Object.entries(state?.resources ?? {})) {
      if (!(await backend.headManifest('fa', r.digest))) lost.push(`${address} ${r.digest}`);
    }
    return { wrong, lost, state };
  } finally {
    await backend.close();
  }
}

/** One clear sentence (a command error, or the apply summary with each failed action's first error line), no stack trace. */
const plainError = (out: string) => (/^Error: .+/m.test(out) || /^Apply: \d+ done, [1-9]\d* failed.*\n {2}failed {2}\S+: .+/m.test(out)) && !/\n\s+at .+\(.+:\d+:\d+\)/.test(out);

interface Cell { kind: FaultKind; rate: number; runs: number; converged: number; clean: number; unclean: number; resumed: number; wrong: number; lost: number; faults: number; sample?: string }
const table: Cell[] = [];

describe('fault suite (registry and upstream behind fault-injecting proxies)', () => {
  for (const kind of KINDS) {
    for (const rate of RATES) {
      it(`${kind} at ${rate * 100} %: converges or fails cleanly, never publishes wrong, never loses a digest`, async () => {
        const cell: Cell = { kind, rate, runs: 0, converged: 0, clean: 0, unclean: 0, resumed: 0, wrong: 0, lost: 0, faults: 0 };
        for (let i = 0; i < RUNS; i++) {
          const world = await seedWorld(`${kind}-${rate * 100}-${i}`);
          regProxy.set({ kind, rate, seed: 11 + i, delayMs: 150 });
          upProxy.set({ kind, rate, seed: 101 + i, delayMs: 150 });
          const r = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: ENV });
          cell.faults += regProxy.counts().faults + upProxy.counts().faults;
          regProxy.set(undefined);
          upProxy.set(undefined);
          const after = await audit(world);
          cell.runs += 1;
          cell.wrong += after.wrong.length;
          cell.lost += after.lost.length;
          expect(after.wrong, `${kind} ${rate} run ${i}: ${r.stdout}${r.stderr}`).toEqual([]);
          expect(after.lost, `${kind} ${rate} run ${i}`).toEqual([]);
          const settled = r.exitCode === 0 && (await mirror(['plan', '--detailed-exitcode'], { cwd: world.dir, env: ENV })).exitCode === 0;
          if (settled) { cell.converged += 1; continue; }
          cell.sample ??= (r.stderr.split('\n').find((l) => l.startsWith('Error: ')) ?? r.stdout.split('\n').find((l) => l.startsWith('  failed  ')) ?? '').trim().slice(0, 220);
          if (r.exitCode === 1 && plainError(r.stderr + r.stdout) && after.state) cell.clean += 1;
          else cell.unclean += 1;
          // The next clean run resumes and converges without rebuilding anything
          const again = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: ENV });
          const done = again.exitCode === 0 && (await mirror(['plan', '--detailed-exitcode'], { cwd: world.dir, env: ENV })).exitCode === 0;
          if (done) cell.resumed += 1;
          expect(done, `resume after ${kind} ${rate} run ${i}: ${again.stdout}${again.stderr}`).toBe(true);
          const final = await audit(world);
          expect([...final.wrong, ...final.lost]).toEqual([]);
        }
        table.push(cell);
        expect(cell.unclean, `${kind} ${rate}: a failure without a clean error`).toBe(0);
      }, 120_000 * RUNS);
    }
  }

  afterAll(() => {
    if (table.length === 0) return;
    const head = '| fault | rate | runs | faults injected | converged | clean failures (resumed next run) | unclean | wrong publications | lost digests |';
    const rows = table.map((c) => `| ${c.kind} | ${c.rate * 100} % | ${c.runs} | ${c.faults} | ${c.converged} | ${c.clean} (${c.resumed}) | ${c.unclean} | ${c.wrong} | ${c.lost} |`);
    const samples = table.filter((c) => c.sample).map((c) => `- ${c.kind} ${c.rate * 100} %: ${c.sample}`);
    process.stdout.write(`\n${[head, '|---|---:|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n')}\n${samples.length ? `\nFirst error of a failed run per cell:\n${samples.join('\n')}\n` : ''}\n`);
  });
});

describe('whole-run outages and a full disk', () => {
  it('registry down for the whole run: a clear error and nothing changed', async () => {
    const world = await seedWorld('registry-down');
    const before = await readFile(world.stateFile, 'utf8');
    const dead = await startFaultProxy(`http://${registry.host}`);
    await dead.stop(); // a port nothing listens on any more
    await writeFile(path.join(world.dir, 'mirror.config.json'), configFor(world.ns, dead.host, upstream.url));
    const r = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: ENV });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Error: .*${dead.host.replace(/\./g, '\\.')}.*(ECONNREFUSED|not reachable|refused)`, 'm'));
    expect(plainError(r.stderr)).toBe(true);
    expect(await readFile(world.stateFile, 'utf8')).toBe(before);
  });

  it('upstream down: a clear error naming the app, nothing changed', async () => {
    const world = await seedWorld('upstream-down');
    const before = await readFile(world.stateFile, 'utf8');
    const dead = await startFaultProxy(upstream.url);
    await dead.stop();
    await writeFile(path.join(world.dir, 'mirror.config.json'), configFor(world.ns, registry.host, dead.url));
    const r = await mirror(['plan'], { cwd: world.dir, env: ENV });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Error: Upstream of app "fa" \(http:\/\/127\.0\.0\.1:\d+\/repos\/faults\/fa\/releases.*\): is not reachable \(ECONNREFUSED\)\./);
    expect((await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: ENV })).exitCode).toBe(1);
    expect(await readFile(world.stateFile, 'utf8')).toBe(before);
  });

  it('disk full while writing state: the apply fails cleanly and the old state survives intact', async () => {
    const world = await seedWorld('disk-full');
    await writeFile(path.join(world.dir, 'mirror.config.json'), configFor(world.ns, registry.host, upstream.url));
    // The state directory on a tiny tmpfs, filled up after the state is in place
    const stateDir = path.dirname(world.stateFile);
    const before = await readFile(world.stateFile, 'utf8');
    await rm(stateDir, { recursive: true });
    await mkdir(stateDir);
    execSync(`mount -t tmpfs -o size=${Math.ceil(before.length / 4096) * 4096 + 8192} tmpfs ${JSON.stringify(stateDir)}`);
    try {
      await writeFile(world.stateFile, before);
      await writeFile(path.join(stateDir, 'filler'), Buffer.alloc(4096)).catch(() => undefined);
      let fill = 0;
      while (await writeFile(path.join(stateDir, `filler-${fill}`), Buffer.alloc(1024)).then(() => true, () => false)) fill++;
      const r = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: ENV });
      expect(r.exitCode).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/ENOSPC|no space left/i);
      expect(plainError(r.stdout + r.stderr)).toBe(true);
      expect(await readFile(world.stateFile, 'utf8')).toBe(before);
      expect(await new FileStateStore(world.stateFile).read()).toBeDefined();
    } finally {
      execSync(`umount ${JSON.stringify(stateDir)}`);
    }
  });
});
