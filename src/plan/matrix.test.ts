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
});
