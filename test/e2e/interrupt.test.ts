/**
 * Ctrl-C and a cancelled CI job during `mirror apply` (SPEC §5 signals): a real build is stopped
 * mid-RUN, and afterwards no lock, no temp dir and no registry auth file is left (checked under a
 * private TMPDIR), the last line says what happened, and the next apply converges without a lock
 * takeover. Plain mode (SIGTERM, as GitHub sends it to the job's process), a real terminal (Ctrl-C
 * in tmux, the Ink view) and the second Ctrl-C that quits at once.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileLocker } from '../../src/state/lock.js';
import { startFaultProxy, type FaultProxy } from '../rig/fault-proxy.js';
import { createGitRepo } from '../rig/git.js';
import { startTerminal, type Terminal } from '../rig/tmux.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror, ROOT } from './cli.js';

let world: SeedWorld;
let terminal: Terminal | undefined;
let privateTmp: string;
let repoUrl: string;
let proxiedRepoUrl: string;
let proxy: FaultProxy;
let silent: net.Server;
let silentUrl: string;
const held = new Set<net.Socket>();
let run = 0;
const SLEEP = 317; // a number no other process on the machine sleeps for

beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: [], mostlymatter: [], outline: [] } });
  // Given an app whose build of 1.0.0 asks the emulator for a gate file and, while it is served,
  // sleeps in its RUN step: the test knows when the build is running, and can let the rerun through.
  const repo = await createGitRepo(path.join(world.dir, 'git', 'slow'), {
    files: { Dockerfile: `FROM ${world.sources!.base}\nRUN if wget -q -O /dev/null ${world.upstream.url}/gate/{tag}; then busybox sleep ${SLEEP}; fi\n` },
    tags: ['v1.0.0', 'v1.0.1'],
  });
  repoUrl = repo.url;
  // The registry behind a proxy that can hold blob uploads; this app's base image is read through it too.
  proxy = await startFaultProxy(`http://${world.registry.host}`);
  const proxied = await createGitRepo(path.join(world.dir, 'git', 'proxied'), {
    files: { Dockerfile: `FROM ${world.sources!.base.replace(world.registry.host, proxy.host)}\nRUN echo '{tag}' > /version.txt\n` },
    tags: ['v1.0.0', 'v1.0.1'],
  });
  proxiedRepoUrl = proxied.url;
  // A git server that accepts connections and never answers: a fetch of a large repository, frozen.
  // (Read and dropped, so the server sees the client's close: a paused socket never ends.)
  silent = net.createServer((socket) => { held.add(socket); socket.resume(); socket.on('close', () => held.delete(socket)); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/upstream.git`;
}, 120_000);
afterEach(async () => {
  await terminal?.kill();
  terminal = undefined;
  if (privateTmp) await rm(privateTmp, { recursive: true, force: true });
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  await proxy?.stop();
  await world?.stop();
});

const statePath = () => path.join(world.dir, '.mirror', 'state.json');
const env = () => ({ TMPDIR: privateTmp, MIRROR_REGISTRY_USERNAME: 'ci-user', MIRROR_REGISTRY_PASSWORD: 'pw-interrupt-Q93-secret' });

/** Reset the world to "nothing built" (a new app name: its repository is empty), with the slow build gated on. */
async function freshRun(app: { source?: string; registry?: string; upstream?: string } = {}) {
  privateTmp = await mkdtemp(path.join(tmpdir(), 'mirror-private-tmp-'));
  await rm(path.join(world.dir, '.mirror'), { recursive: true, force: true });
  run += 1;
  await world.writeConfig({
    // Credentials in the config: buildah gets them in an auth file, which must not outlive the run.
    registry: { ...world.config.registry, url: app.registry ?? world.registry.url('mirror'), username: 'env:MIRROR_REGISTRY_USERNAME', password: 'env:MIRROR_REGISTRY_PASSWORD' },
    state: world.config.state,
    defaults: { maxVersions: 2, platforms: ['linux/amd64'], builder: 'buildah', floatingTags: ['latest'], attest: { sbom: false, provenance: false, sign: false } },
    apps: { [`slow${run}`]: { upstream: { type: 'git-tags', url: app.upstream ?? repoUrl }, source: { git: app.source ?? app.upstream ?? repoUrl, ref: 'v{version}' }, dockerfile: 'Dockerfile' } },
  } as never);
  world.upstream.files.set('/gate/v1.0.0', 'sleep');
  world.upstream.resetRequests();
}

/** Wait until the gated RUN step is running, and the run dir holds the auth file with the credentials. */
async function waitForSlowBuild(): Promise<string> {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (world.upstream.requests.some((r) => r.url === '/gate/v1.0.0')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(world.upstream.requests.map((r) => r.url)).toContain('/gate/v1.0.0');
  const runs = (await readdir(privateTmp)).filter((f) => f.startsWith('mirror-run-'));
  expect(runs).toHaveLength(1);
  const conf = (await readdir(path.join(privateTmp, runs[0]))).find((f) => f.startsWith('mirror-buildah-conf-'));
  const auth = path.join(privateTmp, runs[0], conf ?? 'missing', 'auth.json');
  expect(await readFile(auth, 'utf8')).toContain(Buffer.from('ci-user:pw-interrupt-Q93-secret').toString('base64'));
  return auth;
}

/** The sleeping RUN step: the build mirror stopped must not keep running. */
async function sleeperRunning(): Promise<boolean> {
  const { stdout } = await execa('ps', ['-eo', 'args']);
  return stdout.split('\n').some((l) => l.trim() === `busybox sleep ${SLEEP}`);
}

async function expectCleanAfterStop(auth: string) {
  expect(existsSync(auth)).toBe(false);
  expect(await readdir(privateTmp)).toEqual([]);
  expect(existsSync(`${statePath()}.lock`)).toBe(false);
  const until = Date.now() + 10_000;
  while (Date.now() < until && await sleeperRunning()) await new Promise((r) => setTimeout(r, 200));
  expect(await sleeperRunning()).toBe(false);
}

/** The next apply, with the gate closed: no takeover warning, everything built, then nothing to do. */
async function expectConverges(opts: { tookOver?: boolean } = {}) {
  world.upstream.files.set('/gate/v1.0.0', { status: 404 });
  const again = await mirror(['apply', '--auto-approve'], { cwd: world.dir, env: env() });
  expect(again.exitCode, again.stdout + again.stderr).toBe(0);
  // Only the hard exit (second Ctrl-C) leaves its lock behind, for the next run to take over.
  if (opts.tookOver) expect(again.stderr).toMatch(/took over the state lock/);
  else expect(again.stderr).not.toMatch(/took over/);
  expect(await readdir(privateTmp)).toEqual([]);
  const plan = await mirror(['plan', '--detailed-exitcode'], { cwd: world.dir, env: env() });
  expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
}

/** `mirror apply --auto-approve` in plain mode, started by pid so the test can signal it. */
function startApply() {
  // No SIGKILL after the test's SIGTERM: exitsWithin says what was not stopped instead.
  return execa(process.execPath, [path.join(ROOT, 'bin/run.js'), 'apply', '--auto-approve'], {
    cwd: world.dir, reject: false, extendEnv: false, forceKillAfterDelay: false, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env() },
  });
}

async function until(what: string, check: () => boolean, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && !check()) await new Promise((r) => setTimeout(r, 50));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** The child's result, or a failure naming what it was doing if it does not exit within `ms` (then it is killed, by its pid). */
async function exitsWithin(child: ReturnType<typeof startApply>, ms: number, doing: string) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), ms); });
  const r = await Promise.race([child, late]);
  clearTimeout(timer);
  if (r === 'late') {
    child.kill('SIGKILL');
    await child;
    throw new Error(`apply did not exit within ${ms} ms of the signal: ${doing} was not stopped`);
  }
  return r;
}

describe('an interrupted apply stops cleanly', () => {
  it('SIGTERM mid-build (a cancelled CI job): stops the build, keeps what finished, releases the lock, removes temp files and the auth file, exits 143', async () => {
    await freshRun();
    const child = execa(process.execPath, [path.join(ROOT, 'bin/run.js'), 'apply', '--auto-approve'], {
      cwd: world.dir, reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env() },
    });
    const auth = await waitForSlowBuild();
    // When the job is cancelled
    child.kill('SIGTERM');
    const r = await child;
    // Then it exits 143 with a clear last line, and 1.0.1 (built before 1.0.0 started) stays recorded
    expect(r.exitCode, r.stdout + r.stderr).toBe(143);
    const last = r.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(/^Interrupted: \d+ done, 1 stopped; run apply again to resume\.$/);
    const done = Number(/Interrupted: (\d+) done/.exec(last ?? '')?.[1]);
    const state = JSON.parse(await readFile(statePath(), 'utf8'));
    expect(Object.keys(state.resources).length).toBe(done);
    expect(r.stdout).toMatch(/- build slow1@1\.0\.0\/linux\/amd64: skipped \(stopped: stopped by SIGTERM\)/);
    await expectCleanAfterStop(auth);
    await expectConverges();
  }, 240_000);

  it('Ctrl-C in a terminal (the Ink view): the same clean stop, exit 130', async () => {
    await freshRun();
    terminal = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'apply', '--auto-approve'], {
      cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env() },
    });
    const auth = await waitForSlowBuild();
    await terminal.keys('C-c');
    const screen = await terminal.waitFor('[exit 130]', 60_000);
    expect(screen).toMatch(/Interrupted: \d+ done, 1 stopped; run apply again to resume\.\n+\[exit 130\]/);
    await expectCleanAfterStop(auth);
    await expectConverges();
  }, 240_000);

  it('SIGTERM while waiting for the lock: stops waiting at once, takes nothing, exits 143', async () => {
    await freshRun();
    // Given another apply holding the lock
    const held = await new FileLocker(statePath()).acquire('apply');
    try {
      const child = execa(process.execPath, [path.join(ROOT, 'bin/run.js'), 'apply', '--auto-approve', '--lock-timeout', '120s'], {
        cwd: world.dir, reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env() },
      });
      // When it says it is waiting for the lock (a fixed sleep raced a slow start-up on a loaded machine)
      let said = '';
      child.stderr?.on('data', (chunk: Buffer) => { said += chunk.toString(); });
      const until = Date.now() + 30_000;
      while (!said.includes('for the state lock held by') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(said).toMatch(new RegExp(`^warning: waiting up to 120 s for the state lock held by .+ \\(pid ${process.pid} on .+, apply, since `, 'm'));
      const started = Date.now();
      child.kill('SIGTERM');
      const r = await child;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.exitCode, r.stdout + r.stderr).toBe(143);
      expect(r.stderr.trim().split('\n').at(-1)).toBe('Interrupted: 0 done, 0 stopped; run apply again to resume.');
      // The holder still holds its lock, and nothing was left behind
      expect((await new FileLocker(statePath()).current())?.id).toBe(held.info.id);
      expect(await readdir(privateTmp)).toEqual([]);
    } finally { await held.release(); }
  }, 60_000);

  it('SIGTERM while the source is fetched (git not answering): git is stopped, exit 143 at once, and the next apply resumes', async () => {
    // Given an app whose source repository accepts the fetch and then sends nothing
    await freshRun({ upstream: repoUrl, source: silentUrl });
    const child = startApply();
    await until('the source fetch', () => held.size > 0);
    // When the job is cancelled
    child.kill('SIGTERM');
    const r = await exitsWithin(child, 20_000, 'the git fetch');
    // Then it stops at once, says so, and leaves no lock, state or temp file
    expect(r.exitCode, r.stdout + r.stderr).toBe(143);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('Interrupted: 0 done, 1 stopped; run apply again to resume.');
    expect(existsSync(`${statePath()}.lock`)).toBe(false);
    expect(await readdir(privateTmp)).toEqual([]);
    await until('git to let go of the connection', () => held.size === 0, 10_000);
    // And with the source answering again, the next apply builds everything
    await world.writeConfig({ ...world.config, apps: { [`slow${run}`]: { ...Object.values(world.config.apps)[0], source: { git: repoUrl, ref: 'v{version}' } } } } as never);
    await expectConverges();
  }, 240_000);

  it('SIGTERM while a layer is uploaded (registry not answering): the upload is aborted, nothing is recorded, exit 143, and the next apply resumes', async () => {
    // Given a registry that holds every blob upload for a minute
    await freshRun({ upstream: proxiedRepoUrl, registry: `${proxy.host}/mirror` });
    proxy.set({ kind: 'delay', rate: 1, delayMs: 60_000, match: (method, url) => method === 'PUT' && url.includes('/blobs/uploads/') });
    try {
      const child = startApply();
      await until('a blob upload', () => proxy.counts().faults > 0, 180_000);
      // When the job is cancelled
      child.kill('SIGTERM');
      const r = await exitsWithin(child, 20_000, 'the blob upload');
      // Then it stops at once: nothing recorded, nothing left behind
      expect(r.exitCode, r.stdout + r.stderr).toBe(143);
      expect(r.stderr.trim().split('\n').at(-1)).toBe('Interrupted: 0 done, 1 stopped; run apply again to resume.');
      expect(existsSync(statePath()) ? Object.keys(JSON.parse(await readFile(statePath(), 'utf8')).resources) : []).toEqual([]);
      expect(existsSync(`${statePath()}.lock`)).toBe(false);
      expect(await readdir(privateTmp)).toEqual([]);
    } finally {
      proxy.set(undefined);
    }
    // And with the registry answering again, the next apply pushes everything
    await expectConverges();
  }, 300_000);

  it('a second Ctrl-C exits at once and still deletes the auth file', async () => {
    await freshRun();
    const child = execa(process.execPath, [path.join(ROOT, 'bin/run.js'), 'apply', '--auto-approve'], {
      cwd: world.dir, reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env() },
    });
    const auth = await waitForSlowBuild();
    // The second Ctrl-C goes as soon as mirror says it is stopping, while the graceful stop runs.
    const stopping = new Promise<void>((resolve) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('Stopping:')) resolve(); });
    });
    child.kill('SIGINT');
    await stopping;
    const started = Date.now();
    child.kill('SIGINT');
    const r = await child;
    if (r.signal) {
      // The graceful stop can finish within a few ms on a quiet machine; a signal that lands while
      // Node tears the process down gets Node's default handler back. Only acceptable once the
      // stop was complete: its last line said so.
      expect(r.signal).toBe('SIGINT');
      expect(r.stderr.trim().split('\n').at(-1), r.stdout + r.stderr).toMatch(/^Interrupted: \d+ done, \d+ stopped; run apply again to resume\.$/);
    } else {
      expect(r.exitCode, r.stdout + r.stderr).toBe(130);
    }
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(existsSync(auth)).toBe(false);
    // What a dying build was still writing may remain; the next run sweeps a run dir whose process is gone
    await expectConverges({ tookOver: true });
    expect(await sleeperRunning()).toBe(false);
  }, 240_000);
});
