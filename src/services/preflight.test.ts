/**
 * preflight when a check throws (not a problem it reports: a probe or template that breaks): the
 * other checks are stopped and waited for before the run dir goes, so no sibling clones into the
 * system temp dir after the cleanup. Real git repositories from the rig, a private TMPDIR.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeedWorld, type SeedWorld } from '../../test/rig/world.js';
import { createPlan } from './plan.js';
import { preflight } from './preflight.js';

let world: SeedWorld;
beforeAll(async () => {
  // Mostlymatter is patched, so preflight clones its source for each of its two versions.
  world = await startSeedWorld({ sources: { mattermost: [], mostlymatter: ['10.4.0', '10.4.1'], outline: [] } });
  const seed = world.config;
  await world.writeConfig({
    ...seed, defaults: { ...seed.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } },
    apps: { mostlymatter: seed.apps.mostlymatter },
  });
}, 120_000);
afterAll(async () => { await world?.stop(); });

describe('preflight cleanup', () => {
  it('a check that throws stops the others, waits for them, and leaves no temp dir', async () => {
    const { plan, config } = await createPlan({ cwd: world.dir, env: {} });
    expect(plan.actions.filter((a) => a.type === 'build').map((a) => a.version)).toEqual(expect.arrayContaining(['10.4.0', '10.4.1']));
    const tmp = await mkdtemp(path.join(tmpdir(), 'mirror-preflight-tmp-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // os.tmpdir() reads it on every call
    try {
      // Given a URL probe that breaks on the first version's check (one check at a time: the second is queued)
      let probes = 0;
      const error = await preflight(config, plan, { concurrency: 1, probe: async () => { probes += 1; throw new Error('probe broke'); } }).catch((e: unknown) => e);
      // Then preflight fails with that error, the queued check never started,
      expect((error as Error).message).toBe('probe broke');
      expect(probes).toBe(1);
      // and nothing of it is left in the temp dir, now or once anything it started would have finished
      expect(await readdir(tmp)).toEqual([]);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      process.env.TMPDIR = saved;
      await rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
