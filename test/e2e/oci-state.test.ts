/**
 * The oci state backend through the CLI, as a CI runner with no shared disk uses it: the state
 * and its lock live as artifacts in the real registry, no state file is written, the state
 * commands read it there, and a lock left by a killed job is taken over once its lease expired,
 * with a warning naming that job.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchArtifact, LOCK_TYPE, parseStateRef, prepareArtifact, putArtifact, STATE_TYPE, type OciTarget } from '../../src/state/oci-artifact.js';
import { lockContent } from '../../src/state/oci-lock.js';
import { publishVersions, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
let digests: Record<string, string>;
let target: OciTarget;
beforeAll(async () => {
  world = await startSeedWorld();
  const { mattermost } = world.config.apps;
  const ref = `${world.registry.host}/mirror/state:main`;
  await world.writeConfig({
    ...world.config,
    state: { backend: 'oci', ref },
    defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } },
    apps: { mattermost },
  });
  digests = await publishVersions(world.backend, 'mattermost', ['10.4.0', '10.4.1']);
  const { image, tag } = parseStateRef(ref, { insecure: false, ...world.config.registry });
  target = { registry: world.backend, image, tag, location: ref };
});
afterAll(async () => { await world?.stop(); });

const run = (args: string[]) => mirror(args, { cwd: world.dir });

describe('state backend oci through the CLI', () => {
  it('import and apply keep the state in the registry: state list and pull read it there, no file is written', async () => {
    expect((await run(['import', 'mattermost'])).exitCode).toBe(0);
    const apply = await run(['apply', '--auto-approve']);
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect((await world.backend.headManifest('mattermost', 'latest'))?.digest).toBe(digests['10.4.1']);

    const stored = (await fetchArtifact(target, 'main', STATE_TYPE))!;
    expect(stored.manifest.artifactType).toBe(STATE_TYPE);
    const state = JSON.parse(Buffer.from(stored.layer!).toString());
    expect(state.resources['mattermost:latest']).toMatchObject({ type: 'tag', digest: digests['10.4.1'] });
    expect(await fetchArtifact(target, 'main-backup', STATE_TYPE)).toBeDefined();
    // The lock was released: nothing left under main-lock
    expect(await fetchArtifact(target, 'main-lock', LOCK_TYPE)).toBeUndefined();

    const list = await run(['state', 'list']);
    expect(list.stdout.split('\n')).toEqual(expect.arrayContaining(['mattermost@10.4.1', 'mattermost:latest']));
    const pulled = JSON.parse((await run(['state', 'pull'])).stdout);
    expect(pulled.serial).toBe(state.serial);
    await expect(access(path.join(world.dir, '.mirror', 'state.json'))).rejects.toThrow();
  });

  it('a lock whose lease expired (its job was killed) is taken over with a warning naming that job', async () => {
    const now = Date.now();
    const old = {
      id: 'killed-job-lock', operation: 'apply', who: 'https://github.com/acme/mirror/actions/runs/4242', host: 'runner-7', pid: 99999,
      created: new Date(now - 120_000).toISOString(), expires: new Date(now - 60_000).toISOString(),
    };
    await putArtifact(target, 'main-lock', await prepareArtifact(target, LOCK_TYPE, lockContent(old, 'another-machine'), { 'dev.mirror.lock.id': old.id }, 'lock.json'));
    const apply = await run(['apply', '--auto-approve']);
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stderr).toContain('took over the state lock of https://github.com/acme/mirror/actions/runs/4242 (pid 99999 on runner-7');
    expect(await fetchArtifact(target, 'main-lock', LOCK_TYPE)).toBeUndefined();
  });

  it('a live lock held elsewhere blocks apply, naming the holder and the force-unlock command', async () => {
    const now = Date.now();
    const held = {
      id: 'live-lock-id', operation: 'apply', who: 'https://github.com/acme/mirror/actions/runs/4243', host: 'runner-8', pid: 4243,
      created: new Date(now).toISOString(), expires: new Date(now + 600_000).toISOString(),
    };
    await putArtifact(target, 'main-lock', await prepareArtifact(target, LOCK_TYPE, lockContent(held, 'another-machine'), { 'dev.mirror.lock.id': held.id }, 'lock.json'));
    const apply = await run(['apply', '--auto-approve', '--lock-timeout', '0']);
    expect(apply.exitCode).toBe(1);
    expect(apply.stderr).toContain('locked by https://github.com/acme/mirror/actions/runs/4243');
    expect(apply.stderr).toContain('mirror force-unlock live-lock-id');
    const unlock = await run(['force-unlock', 'live-lock-id']);
    expect(unlock.exitCode, unlock.stderr).toBe(0);
    expect(await fetchArtifact(target, 'main-lock', LOCK_TYPE)).toBeUndefined();
  });
});
