import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLocker } from '../../src/state/lock.js';
import { STATE_FORMAT_VERSION } from '../../src/state/types.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror, ROOT } from './cli.js';

let world: SeedWorld;
beforeAll(async () => {
  world = await startSeedWorld({ sources: { mattermost: ['10.4.0', '10.4.1'], mostlymatter: [], outline: [] } });
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } } });
}, 120_000);
afterAll(async () => { await world?.stop(); });

const statePath = () => path.join(world.dir, '.mirror', 'state.json');
const readState = async () => JSON.parse(await readFile(statePath(), 'utf8'));
const skopeo = async (args: string[]) => (await execa('skopeo', [...args, '--tls-verify=false'])).stdout;

/** Every tag of a repository must point at a multi-platform index, never at a single-platform image. */
async function expectNoSinglePlatformTag(image: string) {
  const tags: string[] = JSON.parse(await skopeo(['list-tags', `docker://${world.registry.host}/mirror/${image}`]).catch(() => '{"Tags":[]}')).Tags ?? [];
  for (const tag of tags) {
    const raw = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/mirror/${image}:${tag}`]));
    expect(raw.mediaType, `${image}:${tag}`).toBe('application/vnd.oci.image.index.v1+json');
  }
}

describe('apply survives kill -9 and serializes on the lock', () => {
  it('a killed apply leaves a valid state, no single-platform tag, and the next apply reuses recorded digests', async () => {
    // Given an apply of mattermost killed with SIGKILL as soon as its first build is recorded
    const child = execa(process.execPath, [path.join(ROOT, 'bin/run.js'), 'apply', '--auto-approve', '--target', 'mattermost'], { cwd: world.dir, reject: false, env: { NO_COLOR: '1' } });
    const deadline = Date.now() + 60_000;
    let recorded: Record<string, { digest: string }> = {};
    while (Date.now() < deadline) {
      if (existsSync(statePath())) {
        recorded = (await readState()).resources;
        if (Object.keys(recorded).length > 0) break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await child;
    expect(Object.keys(recorded).length).toBeGreaterThan(0);
    // Then the state parses and no tag points at a single-platform image
    const afterKill = await readState();
    expect(afterKill.formatVersion).toBe(STATE_FORMAT_VERSION);
    await expectNoSinglePlatformTag('mattermost');
    // When apply runs again (taking over the dead holder's lock)
    const again = await mirror(['apply', '--auto-approve', '--target', 'mattermost', '--json'], { cwd: world.dir });
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stderr).toMatch(/warning: took over the state lock of .* its holder is gone/);
    // Then digests recorded before the kill are reused, not rebuilt
    const built = again.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.event === 'done' && e.type === 'build').map((e) => e.address);
    const recordedBuilds = Object.entries(afterKill.resources).filter(([, r]: [string, any]) => r.type === 'build').map(([a]) => a);
    for (const address of recordedBuilds) {
      expect(built).not.toContain(address);
      expect((await readState()).resources[address].digest).toBe(afterKill.resources[address].digest);
    }
    // And the registry converged
    await expectNoSinglePlatformTag('mattermost');
    const plan = await mirror(['plan', '--detailed-exitcode', '--target', 'mattermost'], { cwd: world.dir });
    expect(plan.exitCode, plan.stdout).toBe(0);
  });

  it('a second concurrent apply waits for --lock-timeout, then fails naming the holder', async () => {
    const handle = await new FileLocker(statePath()).acquire('apply');
    try {
      const started = Date.now();
      const r = await mirror(['apply', '--auto-approve', '--lock-timeout', '1s'], { cwd: world.dir });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(r.exitCode).toBe(1);
      // It said it was waiting (once, naming the holder), then the error names the lock
      expect(r.stderr).toMatch(new RegExp(`^warning: waiting up to 1 s for the state lock held by .+ \\(pid ${process.pid} on .+, apply, since .+\\)\nError: State .* is locked by .*lock ID ${handle.info.id}`));
      expect(r.stderr).toContain(`mirror force-unlock ${handle.info.id}`);
    } finally { await handle.release(); }
  });

  it('applies a saved plan exactly, and refuses it once the state moved', async () => {
    await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, floatingTags: ['latest', '{major}'], attest: { sbom: false, provenance: false, sign: false } } });
    const out = path.join(world.dir, 'tags.plan.json');
    expect((await mirror(['plan', '--out', out, '--target', 'mattermost'], { cwd: world.dir })).exitCode).toBe(0);
    const ok = await mirror(['apply', out], { cwd: world.dir });
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('→ tag mattermost:10: done');
    const stale = await mirror(['apply', out], { cwd: world.dir });
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toMatch(/^Error: Saved plan .*tags\.plan\.json is stale: the state moved from serial \d+ to \d+ since it was made; changed since: mattermost:10\./);
  });
});

describe('apply into an OCI layout directory (no registry server)', () => {
  it('writes indexes and tags that skopeo reads and can copy to a registry', async () => {
    // Given a config whose registry is a directory; the base image still comes from the rig registry,
    // which buildah is told (by registries.conf, as a user would) to reach over plain HTTP
    const { writeFile } = await import('node:fs/promises');
    const conf = path.join(world.dir, 'registries.conf');
    await writeFile(conf, `[[registry]]\nlocation = "${world.registry.host}"\ninsecure = true\n`);
    const cfg = path.join(world.dir, 'oci.config.json');
    await writeFile(cfg, JSON.stringify({ ...world.config, registry: { url: 'oci:./oci-out' }, state: { path: '.mirror/oci-state.json' },
      defaults: { ...world.config.defaults, maxVersions: 1, floatingTags: ['latest'] } }));
    // When applying mattermost into it
    const r = await mirror(['apply', '--auto-approve', '--config', cfg, '--target', 'mattermost'], { cwd: world.dir, env: { CONTAINERS_REGISTRIES_CONF: conf } });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    // Then the layout holds a two-platform index under the version and latest
    const layout = `oci:${path.join(world.dir, 'oci-out', 'mattermost')}`;
    const index = JSON.parse((await execa('skopeo', ['inspect', '--raw', `${layout}:10.4.1`])).stdout);
    expect(index.manifests.map((m: any) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    expect((await execa('skopeo', ['inspect', '--raw', `${layout}:latest`])).stdout).toBe(JSON.stringify(index));
    // And skopeo copy --all pushes it to a registry intact
    await execa('skopeo', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `${layout}:10.4.1`, `docker://${world.registry.host}/copied/mattermost:10.4.1`]);
    const copied = JSON.parse(await skopeo(['inspect', '--raw', `docker://${world.registry.host}/copied/mattermost:10.4.1`]));
    expect(copied.manifests.map((m: any) => m.digest)).toEqual(index.manifests.map((m: any) => m.digest));
  });
});
