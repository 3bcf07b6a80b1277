/**
 * The plan service reads the state while its first requests are out (services/plan.ts), but a
 * bad --target is refused before the state is touched, and a state that cannot be read fails the
 * plan as soon as it is known: the answers still on their way are not waited for, and nothing is
 * reported after the error.
 */
import { execFileSync } from 'node:child_process';
import { constants, closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../test/rig/upstream.js';
import { createPlan } from './plan.js';

let slowRegistry: Server;
let upstream: UpstreamEmulator;
const GARBAGE = '{"version": 4, "resources": {'; // a state file cut off mid-write
const env = { HOME: '/nonexistent', XDG_CACHE_HOME: '' };

beforeAll(async () => {
  upstream = await startUpstreamEmulator();
  upstream.github.setReleases('svc/app', [{ tag_name: 'v1.0.0' }]);
  // A plain-HTTP registry that answers a tag listing 3 s late (its TLS probe is refused at once, as a real one does).
  slowRegistry = createServer((req, res) => {
    setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ name: 'svc/app', tags: [] })); }, 3000);
  });
  await new Promise<void>((resolve) => slowRegistry.listen(0, '127.0.0.1', resolve));
}, 60_000);
afterAll(async () => {
  slowRegistry?.closeAllConnections();
  await new Promise((r) => slowRegistry?.close(r));
  await upstream?.stop();
});

/** A workspace of one app against the slow registry, with `state` written by `writeState`. */
async function workspace(writeState: (file: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mirror-plan-svc-'));
  await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({
    registry: { url: `127.0.0.1:${(slowRegistry.address() as AddressInfo).port}/svc`, insecure: true },
    defaults: { maxVersions: 1, platforms: ['linux/amd64'], attest: { sbom: false, provenance: false, sign: false } },
    apps: { app: { upstream: { type: 'github-releases', repository: 'svc/app', apiUrl: upstream.url }, source: { git: 'https://git.invalid/app.git', ref: 'v{version}' } } },
  }));
  await mkdir(path.join(dir, '.mirror'), { recursive: true });
  await writeState(path.join(dir, '.mirror', 'state.json'));
  return dir;
}

describe('plan service', () => {
  it('refuses a bad --target without opening the state', async () => {
    // Given a state file that is a FIFO: whoever opens it to read waits there, where a writer can see it
    const dir = await workspace(async (file) => { execFileSync('mkfifo', [file]); });
    const fifo = path.join(dir, '.mirror', 'state.json');
    const error = await createPlan({ cwd: dir, targets: ['ap'], env }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('--target ap: the config has no app "ap". Did you mean app?');
    await new Promise((r) => setTimeout(r, 300)); // a read started in the background would be waiting on the FIFO by now
    // Then nobody holds the FIFO open for reading (a non-blocking open for writing fails with ENXIO)
    let reader = false;
    try {
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      reader = true;
      writeSync(fd, '{}'); // let the stray read finish
      closeSync(fd);
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENXIO');
    }
    expect(reader).toBe(false);
  });

  it('a state that cannot be read fails the plan at once, while the releases page and the tag listing are still on their way', async () => {
    const dir = await workspace((file) => writeFile(file, GARBAGE));
    upstream.github.delayReleases(3000);
    const progress: unknown[] = [];
    try {
      const started = Date.now();
      const error = await createPlan({ cwd: dir, env, progress: (p) => progress.push(p) }).catch((e: unknown) => e);
      // The state's error, reported long before the 3 s answers (and the file is left as it was)
      expect((error as Error).message).toMatch(/state/i);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await readFile(path.join(dir, '.mirror', 'state.json'), 'utf8')).toBe(GARBAGE);
      // And the answers that arrive later report no progress after the error
      const reported = progress.length;
      await new Promise((r) => setTimeout(r, 3500));
      expect(progress.length).toBe(reported);
    } finally {
      upstream.github.delayReleases(0);
    }
  });
});
