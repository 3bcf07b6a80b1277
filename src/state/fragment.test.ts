import { describe, expect, it } from 'vitest';
import { smallPlan as buildPlan } from '../../test/fixtures/plans.js';
import { jobActions } from '../services/apply.js';
import { assertFragmentScope, planId, type Fragment } from './fragment.js';

const D = `sha256:${'a'.repeat(64)}`;
const build = (app: string, version: string, platform: string) => ({ type: 'build' as const, app, image: app, version, platform, digest: D, createdAt: 't', updatedAt: 't' });

describe('fragments are bound to their job', () => {
  const plan = buildPlan();
  const fragment = (actions: string[], resources: Fragment['resources'], id = planId(plan)): Fragment => ({
    fragmentVersion: 1, plan: { id, lineage: null, serial: 0, configHash: plan.configHash }, actions, resources, history: [],
  });

  it("a job's actions are the plan's builds under its --target, --platform and --only", () => {
    const builds = plan.actions.filter((a) => a.type === 'build').map((a) => a.address);
    expect(jobActions(plan, {})).toEqual(builds);
    const one = builds[0];
    expect(jobActions(plan, { targets: [one], only: ['build'] })).toEqual([one]);
    const platform = plan.actions.find((a) => a.address === one)?.platform as string;
    expect(jobActions(plan, { platform })).toEqual(builds.filter((b) => b.endsWith(platform)));
    expect(jobActions(plan, { only: ['merge'] })).toEqual([]);
  });

  it('refuses an address outside the job, a record that is not that build, and (with the plan) another plan or unknown builds', () => {
    const [a, b] = plan.actions.filter((x) => x.type === 'build');
    const rec = (x: typeof a) => build(x.app, x.version as string, x.platform as string);
    expect(() => assertFragmentScope(fragment([a.address], { [a.address]: rec(a) }), 'f.json', plan)).not.toThrow();
    expect(() => assertFragmentScope(fragment([a.address], { [a.address]: rec(a), [b.address]: rec(b) }), 'f.json'))
      .toThrow(`Refusing fragment f.json: it records ${b.address}, which is not one of the build actions its job was given (${a.address}).`);
    expect(() => assertFragmentScope(fragment([a.address], { [a.address]: build('other', a.version as string, a.platform as string) }), 'f.json'))
      .toThrow(`its record for ${a.address} is not a build of that address`);
    expect(() => assertFragmentScope(fragment([a.address], {}, 'sha256:other'), 'f.json', plan)).toThrow(/belongs to plan sha256:other, not to the given plan/);
    expect(() => assertFragmentScope(fragment(['zzz@9.9.9/linux/amd64'], {}), 'f.json', plan)).toThrow('its job claims build zzz@9.9.9/linux/amd64, which the plan does not have');
  });
});
