/**
 * The crash suite: `kill -9` a real apply (buildah, arm64 through QEMU) at each step boundary in
 * turn — source ready, image built, pushed by digest, each state write, during the merge, during
 * the tag — and check after each: the state parses, no tag points at a single-platform image,
 * and the next apply converges without rebuilding a digest that was recorded. Boundaries are
 * found from the `--json` event stream, so the product carries no test hooks.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import { FileStateStore } from '../../src/state/file-store.js';
import type { State } from '../../src/state/types.js';
import { mirror, ROOT } from '../e2e/cli.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';

interface Event { event: string; type?: string; line?: string; address?: string; id?: string }
interface Boundary { name: string; hit: (e: Event) => boolean }

const BOUNDARIES: Boundary[] = [
  { name: 'after clone + patches', hit: (e) => e.event === 'log' && /^mirror: source ready/.test(e.line ?? '') },
  { name: 'after build, before push', hit: (e) => e.event === 'log' && /^mirror: built /.test(e.line ?? '') },
  { name: 'after push, before state write', hit: (e) => e.event === 'log' && /^mirror: pushed /.test(e.line ?? '') },
  { name: 'after the first build state write', hit: (e) => e.event === 'done' && e.type === 'build' },
  { name: 'during merge', hit: (e) => e.event === 'start' && e.type === 'merge' },
  { name: 'after the merge state write', hit: (e) => e.event === 'done' && e.type === 'merge' },
  { name: 'during tag', hit: (e) => e.event === 'start' && e.type === 'tag' },
  { name: 'after the tag state write', hit: (e) => e.event === 'done' && e.type === 'tag' },
];

let world: SeedWorld;
beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: ['10.4.1'], mostlymatter: [], outline: [] } });
}, 120_000);
afterAll(async () => { await world?.stop(); });

/** Run apply and SIGKILL it at the first event the boundary matches; false when it finished first. */
async function killAt(dir: string, boundary: Boundary): Promise<boolean> {
  const child = execa(process.execPath, [path.join(ROOT, 'bin/run.js'), 'apply', '--auto-approve', '--json'], { cwd: dir, reject: false, env: { NO_COLOR: '1' }, buffer: false });
  let killed = false;
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (killed || !line.startsWith('{')) continue;
      if (boundary.hit(JSON.parse(line) as Event)) { killed = true; child.kill('SIGKILL'); }
    }
  });
  await child;
  return killed;
}

interface Row { boundary: string; corrupt: number; singlePlatformTags: number; rebuilt: number; converged: boolean }
const rows: Row[] = [];

describe('crash suite: kill -9 at every step boundary', () => {
  BOUNDARIES.forEach((boundary, i) => {
    it(`${boundary.name}: state valid, no single-platform tag, resume rebuilds nothing recorded`, async () => {
      const ns = `crash-${i}`;
      const dir = path.join(world.dir, ns);
      await mkdir(dir);
      const { mattermost } = world.config.apps;
      await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({
        ...world.config, registry: { url: world.registry.url(ns), insecure: true }, apps: { mattermost },
        defaults: { ...world.config.defaults, maxVersions: 1, attest: { sbom: false, provenance: false, sign: false } },
      }));
      expect(await killAt(dir, boundary), `apply finished before reaching "${boundary.name}"`).toBe(true);

      const store = new FileStateStore(path.join(dir, '.mirror', 'state.json'));
      let recorded: State | undefined;
      let corrupt = 0;
      try { recorded = await store.read(); } catch { corrupt = 1; }
      const backend = createRegistryBackend({ url: world.registry.url(ns), insecure: true }, { env: {} });
      let singlePlatformTags = 0;
      try {
        for (const tag of await backend.listTags('mattermost')) {
          const body = JSON.parse(Buffer.from((await backend.getManifest('mattermost', tag)).bytes).toString()) as { manifests?: unknown[] };
          if ((body.manifests ?? []).length !== 2) singlePlatformTags += 1;
        }
      } finally {
        await backend.close();
      }

      const again = await mirror(['apply', '--auto-approve', '--json'], { cwd: dir });
      const events = again.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
      const rebuiltAddresses = events.filter((e) => e.event === 'done' && e.type === 'build').map((e) => e.address as string);
      const recordedBuilds = Object.entries(recorded?.resources ?? {}).filter(([, r]) => r.type === 'build');
      const rebuilt = recordedBuilds.filter(([a]) => rebuiltAddresses.includes(a)).length;
      const after = await store.read();
      const changed = recordedBuilds.filter(([a, r]) => after?.resources[a]?.digest !== r.digest).length;
      const converged = again.exitCode === 0 && (await mirror(['plan', '--detailed-exitcode'], { cwd: dir })).exitCode === 0;
      rows.push({ boundary: boundary.name, corrupt, singlePlatformTags, rebuilt: rebuilt + changed, converged });

      expect(corrupt).toBe(0);
      expect(singlePlatformTags).toBe(0);
      expect(rebuilt + changed, `recorded builds rebuilt after "${boundary.name}"`).toBe(0);
      expect(converged, again.stdout + again.stderr).toBe(true);
    }, 180_000);
  });

  afterAll(() => {
    if (rows.length === 0) return;
    const lines = rows.map((r) => `| ${r.boundary} | ${r.corrupt} | ${r.singlePlatformTags} | ${r.rebuilt} | ${r.converged ? 'yes' : 'NO'} |`);
    process.stdout.write(`\n| killed (SIGKILL) | corrupt states | single-platform tags | rebuilt digests | next apply converged |\n|---|---:|---:|---:|---|\n${lines.join('\n')}\n\n`);
  });
});
