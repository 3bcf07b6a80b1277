import { describe, expect, it } from 'vitest';
import { buildMatrix } from './matrix.js';
import type { Action, Plan } from './types.js';

const build = (app: string, image: string, version: string, platform: string): Action => ({
  id: `build:${app}/${image}@${version}/${platform}`, type: 'build', address: `${app}/${image}@${version}/${platform}`, app, image, version, platform, reason: 'r', dependsOn: [],
});
const plan = (actions: Action[]): Plan => ({
  formatVersion: 1, createdAt: 't', configHash: 'sha256:x', registry: 'r', state: { lineage: null, serial: 0 }, apps: [], actions, drift: [],
  summary: { build: 0, merge: 0, tag: 0, attest: 0, prune: 0, import: 0 },
});
const runners = { 'linux/amd64': 'ubuntu-24.04', 'linux/arm64': 'ubuntu-24.04-arm' };

describe('buildMatrix', () => {
  it('one job per app × version × platform on its native runner; multi-image apps build in one job, bases first', () => {
    const m = buildMatrix(plan([
      build('mm', 'mm', '1.0.0', 'linux/amd64'), build('mm', 'mm', '1.0.0', 'linux/arm64'),
      build('ol', 'base', '2.0.0', 'linux/arm64'), build('ol', 'app', '2.0.0', 'linux/arm64'),
      { ...build('mm', 'mm', '1.0.0', 'linux/amd64'), id: 'merge:mm@1.0.0', type: 'merge' },
    ]), { runners });
    expect(m.include).toEqual([
      { app: 'mm', image: 'mm', version: '1.0.0', platform: 'linux/amd64', arch: 'amd64', runner: 'ubuntu-24.04', address: 'mm@1.0.0/linux/amd64' },
      { app: 'mm', image: 'mm', version: '1.0.0', platform: 'linux/arm64', arch: 'arm64', runner: 'ubuntu-24.04-arm', address: 'mm@1.0.0/linux/arm64' },
      { app: 'ol', image: 'base,app', version: '2.0.0', platform: 'linux/arm64', arch: 'arm64', runner: 'ubuntu-24.04-arm', address: 'ol@2.0.0/linux/arm64' },
    ]);
  });

  it('an empty plan is an empty include; --use-qemu puts every platform on the amd64 runner', () => {
    expect(buildMatrix(plan([]), { runners })).toEqual({ include: [] });
    expect(buildMatrix(plan([build('mm', 'mm', '1.0.0', 'linux/arm64')]), { runners, useQemu: true }).include[0].runner).toBe('ubuntu-24.04');
  });

  it('a platform without a runner is an error saying what to add', () => {
    expect(() => buildMatrix(plan([build('mm', 'mm', '1.0.0', 'linux/s390x')]), { runners })).toThrow(/No runner for linux\/s390x \(needed by mm@1\.0\.0\/linux\/s390x\)/);
  });
});

describe('a plan with more builds than one GitHub matrix may hold (256 jobs)', () => {
  it('is split over at most 256 jobs, each on one runner, every build in exactly one job', () => {
    // Given 200 versions × 2 platforms = 400 build jobs' worth
    const actions = Array.from({ length: 200 }, (_, i) => [build('app', 'app', `1.${i}.0`, 'linux/amd64'), build('app', 'app', `1.${i}.0`, 'linux/arm64')]).flat();
    const m = buildMatrix(plan(actions), { runners });
    expect(m.include.length).toBeLessThanOrEqual(256);
    const addresses = m.include.flatMap((e) => e.address.split(','));
    expect(addresses.length).toBe(400);
    expect(new Set(addresses).size).toBe(400);
    for (const e of m.include) {
      const platforms = new Set(e.address.split(',').map((a) => a.split('/').slice(1).join('/')));
      expect(platforms.size, e.address).toBe(1);
      expect(e.runner).toBe(runners[[...platforms][0] as keyof typeof runners]);
    }
  });

  it('a limit it fits under changes nothing', () => {
    const actions = [build('mm', 'mm', '1.0.0', 'linux/amd64'), build('mm', 'mm', '1.0.0', 'linux/arm64')];
    expect(buildMatrix(plan(actions), { runners, maxJobs: 2 })).toEqual(buildMatrix(plan(actions), { runners }));
    // and a tight one still fits: 3 builds, 2 jobs at most
    expect(buildMatrix(plan([...actions, build('mm', 'mm', '1.1.0', 'linux/amd64')]), { runners, maxJobs: 2 }).include.length).toBeLessThanOrEqual(2);
  });

  it('packs as few builds per job as fit, names each job by its distinct apps, images and versions, one runner per job', () => {
    // Given 200 versions × 2 platforms, the last 100 versions of a two-image app
    const actions = Array.from({ length: 200 }, (_, i) => (i < 100
      ? [build('app', 'app', `1.${i}.0`, 'linux/amd64'), build('app', 'app', `1.${i}.0`, 'linux/arm64')]
      : [build('ol', 'base', `2.${i}.0`, 'linux/amd64'), build('ol', 'web', `2.${i}.0`, 'linux/amd64'), build('ol', 'base', `2.${i}.0`, 'linux/arm64'), build('ol', 'web', `2.${i}.0`, 'linux/arm64')])).flat();
    const m = buildMatrix(plan(actions), { runners });
    // Then 400 entries over 254 jobs of room (one per runner kept for a short last job): two per job
    expect(m.include).toHaveLength(200);
    expect(m.include.every((e) => e.address.split(',').length === 2)).toBe(true);
    expect(m.include[0]).toEqual({ app: 'app', image: 'app', version: '1.0.0,1.1.0', platform: 'linux/amd64', arch: 'amd64', runner: 'ubuntu-24.04', address: 'app@1.0.0/linux/amd64,app@1.1.0/linux/amd64' });
    expect(m.include[50]).toEqual({ app: 'ol', image: 'base,web', version: '2.100.0,2.101.0', platform: 'linux/amd64', arch: 'amd64', runner: 'ubuntu-24.04', address: 'ol@2.100.0/linux/amd64,ol@2.101.0/linux/amd64' });
  });

  it('a matrix exactly at the limit keeps its order, one build per job', () => {
    const actions = [build('mm', 'mm', '1.0.0', 'linux/amd64'), build('mm', 'mm', '1.0.0', 'linux/arm64'), build('mm', 'mm', '1.1.0', 'linux/amd64')];
    expect(buildMatrix(plan(actions), { runners, maxJobs: 3 }).include.map((e) => e.address)).toEqual(['mm@1.0.0/linux/amd64', 'mm@1.0.0/linux/arm64', 'mm@1.1.0/linux/amd64']);
  });
});

describe('matrix entries (mutation testing, issue 20)', () => {
  it('a missing runner says what to add to the config; a variant platform gets an arch with a dash', () => {
    let error: { nextSteps?: string } | undefined;
    try { buildMatrix(plan([build('mm', 'mm', '1.0.0', 'linux/s390x')]), { runners }); } catch (e) { error = e as { nextSteps?: string }; }
    expect(error?.nextSteps).toBe("Add it to the config: runners: { 'linux/s390x': 'RUNNER-LABEL' }");
    expect(buildMatrix(plan([build('mm', 'mm', '1.0.0', 'linux/arm/v7')]), { runners: { 'linux/arm/v7': 'pi' } }).include[0].arch).toBe('arm-v7');
  });
});
