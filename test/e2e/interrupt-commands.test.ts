/**
 * Ctrl-C / SIGTERM of the commands other than apply (which stops cleanly by itself, interrupt.test.ts):
 * a command holding the state lock releases it, `plan --preflight`'s source clones are removed, and
 * the exit code is 130/143 — never a death by signal that leaves the lock for the next run to take
 * over, or a clone (with whatever source.git carried) in the temp dir.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStateRef } from '../../src/state/oci-artifact.js';
import { OciLocker } from '../../src/state/oci-lock.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { ROOT } from './cli.js';

let world: SeedWorld;
let silent: net.Server;
let silentUrl: string;
const held = new Set<net.Socket>();

beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: [], mostlymatter: ['10.4.0', '10.4.1'], outline: [] } });
  // A server that accepts and never answers: the command is stuck at a known point, holding what it holds.
  silent = net.createServer((socket) => { held.add(socket); socket.on('close', () => held.delete(socket)); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((resolve) => silent?.close(() => resolve()));
  await world?.stop();
});

/** Start `mirror ARGS` (by pid, to signal it), with a private TMPDIR. */
function start(args: string[], tmp: string) {
  return execa(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {
    cwd: world.dir, reject: false, extendEnv: false, timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', TMPDIR: tmp },
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('interrupting commands other than apply', () => {
  it('import stopped while holding the lock (registry not answering) releases it and exits 130', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'mirror-int-cmd-'));
    await rm(path.join(world.dir, '.mirror'), { recursive: true, force: true });
    await world.writeConfig({ ...world.config, registry: { url: `${silentUrl.replace('http://', '')}/mirror`, insecure: true } });
    const lockFile = path.join(world.dir, '.mirror', 'state.json.lock');
    const child = start(['import', 'mattermost'], tmp);
    await until('the lock', () => existsSync(lockFile) && held.size > 0);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('Interrupted: the state lock is released.');
    expect(existsSync(lockFile)).toBe(false);
    expect(existsSync(path.join(world.dir, '.mirror', 'state.json'))).toBe(false);
    await rm(tmp, { recursive: true, force: true });
  }, 90_000);

  it('state rm stopped while taking an OCI state lock (its settle delay) releases what it wrote and exits 130', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'mirror-int-cmd-'));
    // Given the state lives in the registry: taking its lock is a PUT, a settle delay (1 s), a read back
    const registry = { url: world.registry.url('mirror'), insecure: true };
    const ref = `${world.registry.host}/mirror/state:interrupted`;
    await world.writeConfig({ ...world.config, registry, state: { backend: 'oci', ref } });
    const { image, tag } = parseStateRef(ref, registry);
    const locker = new OciLocker({ registry: world.backend, image, tag, location: ref });
    const child = start(['state', 'rm', 'mattermost@10.4.0'], tmp);
    // When the command is stopped right after its lock landed in the registry, before it knows it won
    await until('the lock in the registry', async () => (await locker.current().catch(() => undefined))?.pid === child.pid, 30_000);
    child.kill('SIGINT');
    const r = await child;
    // Then the lock it wrote is released, and it says so
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('Interrupted: the state lock is released.');
    expect(await locker.current()).toBeUndefined();
    await rm(tmp, { recursive: true, force: true });
  }, 90_000);

  it('plan --preflight stopped mid-check removes its source clones and exits 143 on SIGTERM', async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'mirror-int-cmd-'));
    await rm(path.join(world.dir, '.mirror'), { recursive: true, force: true });
    // Given mostlymatter (patched, so preflight clones its source) downloads a build-arg URL that never answers
    const seed = world.config;
    await world.writeConfig({
      ...seed, registry: { url: world.registry.url('mirror'), insecure: true },
      defaults: { ...seed.defaults, maxVersions: 1, attest: { sbom: false, provenance: false, sign: false } },
      apps: { mostlymatter: { ...seed.apps.mostlymatter, buildArgs: { ...seed.apps.mostlymatter.buildArgs, MOSTLYMATTER_BINARY: `${silentUrl}/never/{version}` } } },
    });
    const child = start(['plan', '--preflight'], tmp);
    // When it is waiting on that URL, with the clone on disk
    const clones = async () => {
      const top = await readdir(tmp);
      if (top.some((f) => f.startsWith('mirror-src-'))) return true;
      const runs = top.filter((f) => f.startsWith('mirror-run-'));
      return runs.length > 0 && (await readdir(path.join(tmp, runs[0])).catch(() => [])).some((f) => f.startsWith('mirror-src-'));
    };
    await until('the preflight clone and the hanging probe', async () => held.size > 0 && await clones());
    child.kill('SIGTERM');
    const r = await child;
    // Then it exits 143 and nothing of the run is left in the temp dir
    expect(r.exitCode, r.stderr).toBe(143);
    expect(r.stderr).toContain('Interrupted.');
    expect(await readdir(tmp)).toEqual([]);
    await rm(tmp, { recursive: true, force: true });
  }, 90_000);
});
