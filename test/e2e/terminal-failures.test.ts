/**
 * A failing apply on a real terminal (tmux), with the rig's real git repositories: the failures
 * end grouped by cause with their full messages in the scrollback (not cut to the live frame),
 * what finished and how to resume, and each failed action's full log on disk.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { startTerminal, type Terminal } from '../rig/tmux.js';
import { mirror, ROOT } from './cli.js';

let world: SeedWorld;
let terminal: Terminal | undefined;
beforeAll(async () => {
  // Mostlymatter's repository has only 10.4.0's tag (10.4.1 cannot be fetched), and the config's
  // third patch replaces a line upstream no longer has (10.4.0's builds fail before buildah runs).
  world = await startSeedWorld({ sources: { mattermost: [], mostlymatter: ['10.4.0'], outline: [] } });
  const { mostlymatter } = world.config.apps;
  await world.writeConfig({
    ...world.config,
    defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } },
    apps: { mostlymatter: { ...mostlymatter, patches: [...(mostlymatter.patches ?? []).slice(0, 2), { file: 'server/build/Dockerfile', replace: 'curl -L $MM_PACKAGE | tar -xvz --strip-components=0', with: 'true' }] } },
  });
}, 120_000);
afterEach(async () => { await terminal?.kill(); terminal = undefined; });
afterAll(async () => { await world?.stop(); });

describe('a failing apply on a terminal', () => {
  it('ends with the failures grouped by cause, full messages and log paths in the scrollback, and the log files present', async () => {
    terminal = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'apply'], { cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' }, width: 100, height: 20 });
    const t = terminal;
    await t.waitFor('y apply · n/q abort');
    await t.keys('y');
    await t.waitFor('[exit 1]', 60_000);
    const out = await t.scrollback();
    // The live view's last frame, then the whole result below it
    expect(out).toContain('Apply: 0 done, 4 failed, 3 skipped.');
    expect(out).toContain('Failures by cause:');
    expect(out).toContain('  2 builds: apps.mostlymatter patches[2] (replace "curl -L $MM_PACKAGE | tar -xvz --strip-c") changed nothing in server/build/Dockerfile.');
    expect(out).toMatch(/^ {2}2 builds: git fetch failed: .*refs\/tags\/v10\.4\.1-limitless/m);
    expect(out).toContain('0 done are recorded; fix and run mirror apply to resume.');
    // (the skips say why, in full)
    // Both platform builds fail; which one the executor reports first depends on which finished first.
    expect(out).toMatch(/^ {2}skipped merge:mostlymatter@10\.4\.0: depends on build:mostlymatter@10\.4\.0\/linux\/(amd64|arm64), which failed$/m);
    expect(out).not.toContain('detached HEAD');
    // And each failed build's log is where the result says
    const logPath = /✗ build:mostlymatter@10\.4\.0\/linux\/amd64 {2}\(log: (\.mirror\/logs\/[^/]+\/build_mostlymatter@10\.4\.0_linux_amd64\.log)\)/.exec(out)?.[1];
    expect(logPath, out).toBeDefined();
    expect(await readFile(path.join(world.dir, logPath!), 'utf8')).toContain('failed after');
    expect(out).toMatch(/^Full logs: \.mirror\/logs\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[0-9a-f]{4}$/m);
  }, 120_000);

  it('apply --json: the event of each failed action names its full log file, which holds the failure', async () => {
    const r = await mirror(['apply', '--auto-approve', '--json'], { cwd: world.dir, timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(1);
    const failed = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'failed');
    expect(failed.length, r.stdout).toBeGreaterThan(0);
    for (const e of failed) {
      expect(e.logFile, JSON.stringify(e)).toMatch(/^\.mirror\/logs\/[^/]+\/[^/]+\.log$/);
      expect(await readFile(path.join(world.dir, e.logFile), 'utf8')).toContain(`mirror: ${e.address} failed after`);
    }
  }, 120_000);
});
