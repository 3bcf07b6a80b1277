import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallPlan as buildPlan } from '../../test/fixtures/plans.js';
import { jobActions } from '../services/apply.js';
import { planId } from '../plan/plan-id.js';
import { BugError, type StateError } from '../errors.js';
import { assertFragmentScope, FragmentStore, NoLocker, parseFragment, type Fragment } from './fragment.js';

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
    const platform = plan.actions.filter((a) => a.type === 'build').find((a) => a.address === one)?.platform as string;
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

describe('fragment records must be builds of their own address', () => {
  const plan = buildPlan();
  it('refuses an index record filed under a build address, even when its fields spell that address', () => {
    // a record that is not a build must never fold into state as one (issue 20: the type check alone)
    const a = plan.actions.find((x) => x.type === 'build')!;
    const rec = { ...build(a.app, a.version as string, a.platform as string), type: 'index' as const };
    const fragment: Fragment = { fragmentVersion: 1, plan: { id: planId(plan), lineage: null, serial: 0, configHash: plan.configHash }, actions: [a.address], resources: { [a.address]: rec }, history: [] };
    expect(() => assertFragmentScope(fragment, 'f.json', plan)).toThrow(`Refusing fragment f.json: its record for ${a.address} is not a build of that address (index of ${a.app}/${a.app}).`);
  });
});

describe('a fragment claims builds only', () => {
  it("refuses a job that claims the plan's merge or tag action as one of its builds", () => {
    const plan = buildPlan();
    const merge = plan.actions.find((x) => x.type === 'merge')!;
    const fragment: Fragment = { fragmentVersion: 1, plan: { id: planId(plan), lineage: null, serial: 0, configHash: plan.configHash }, actions: [merge.address], resources: {}, history: [] };
    expect(() => assertFragmentScope(fragment, 'f.json', plan)).toThrow(`its job claims build ${merge.address}, which the plan does not have`);
  });
});

describe('fragment files', () => {
  const plan = buildPlan();
  const withDir = async (fn: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-fragment-'));
    try { await fn(dir); } finally { await rm(dir, { recursive: true, force: true }); }
  };

  it('a FragmentStore writes a fragment parseFragment reads back, bound to the plan and its sorted actions', () => withDir(async (dir) => {
    const [a, b] = plan.actions.filter((x) => x.type === 'build');
    const file = path.join(dir, 'frag.json');
    const store = new FragmentStore(file, plan, [b.address, a.address]);
    const empty = await store.read();
    expect(empty.serial).toBe(0);
    expect(empty.resources).toEqual({});
    const next = await store.write({ ...empty, resources: { [a.address]: build(a.app, a.version as string, a.platform as string) } }, { scope: [a.address] });
    expect(next.serial).toBe(1);
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    const back = parseFragment(text, file);
    expect(back.plan).toEqual({ id: planId(plan), lineage: plan.state.lineage, serial: plan.state.serial, configHash: plan.configHash });
    expect(back.actions).toEqual([a.address, b.address].sort());
    expect(Object.keys(back.resources)).toEqual([a.address]);
    expect(() => assertFragmentScope(back, file, plan)).not.toThrow();
    // the store keeps what it wrote, and a write from the old copy is refused
    expect((await store.read()).resources[a.address]).toMatchObject({ type: 'build', digest: D });
    await expect(store.write(empty)).rejects.toThrow(`fragment ${file} written from a stale copy`);
    // a write outside the job's scope is refused and leaves the file as it was
    await expect(store.write({ ...next, resources: { ...next.resources, [b.address]: build(b.app, b.version as string, b.platform as string) } }, { scope: [a.address] })).rejects.toThrow(/Refusing to write state/);
    expect(await readFile(file, 'utf8')).toBe(text);
    await expect(store.replace()).rejects.toThrow('a fragment is never replaced');
  }));

  it('parseFragment names the file for text that is not JSON or not a fragment', () => {
    expect(() => parseFragment('{"fragmentVersion":', 'f.json')).toThrow(/^Fragment f\.json is not valid JSON \(/);
    expect(() => parseFragment(JSON.stringify({ fragmentVersion: 2 }), 'f.json')).toThrow('Fragment f.json is not a mirror state fragment: fragmentVersion: ');
    const good = { fragmentVersion: 1, plan: { id: 'x', lineage: null, serial: 0, configHash: 'h' }, actions: [], resources: {}, history: [] };
    expect(parseFragment(JSON.stringify(good), 'f.json')).toEqual(good);
  });
});

describe('fragment edges (issue 20)', () => {
  const plan = buildPlan();
  const redo = 'Merge only the fragments the build jobs of this plan wrote (apply PLANFILE --only build --fragment-out FILE).';
  const fragment = (actions: string[], resources: Fragment['resources']): Fragment => ({
    fragmentVersion: 1, plan: { id: planId(plan), lineage: null, serial: 0, configHash: plan.configHash }, actions, resources, history: [],
  });
  const refusal = (f: Fragment) => { try { assertFragmentScope(f, 'f.json'); } catch (e) { return e as StateError; } return undefined; };

  it('names every action of the job (or none) when refusing an address, and says what to merge instead', () => {
    const [a, b] = plan.actions.filter((x) => x.type === 'build');
    const rec = build(a.app, a.version as string, a.platform as string);
    const two = refusal(fragment([b.address, 'zz@1.0.0/linux/amd64'], { [a.address]: rec }));
    expect(two!.message).toContain(`which is not one of the build actions its job was given (${b.address}, zz@1.0.0/linux/amd64).`);
    expect(two!.nextSteps).toBe(redo);
    expect(refusal(fragment([], { [a.address]: rec }))!.message).toContain('its job was given (none).');
  });

  it('refuses a build record without a version or platform, even under the address those would spell', () => {
    const { version: _v, ...noVersion } = build('a', '1.0.0', 'linux/amd64');
    const { platform: _p, ...noPlatform } = build('a', '1.0.0', 'linux/amd64');
    expect(refusal(fragment(['a@undefined/linux/amd64'], { 'a@undefined/linux/amd64': noVersion }))!.message).toMatch(/is not a build of that address/);
    expect(refusal(fragment(['a@1.0.0/undefined'], { 'a@1.0.0/undefined': noPlatform }))!.message).toMatch(/is not a build of that address/);
  });

  it('parseFragment tells to use the file the build job wrote', () => {
    for (const text of ['{', JSON.stringify({ fragmentVersion: 2 })]) {
      const error = (() => { try { parseFragment(text, 'f.json'); } catch (e) { return e as StateError; } return undefined; })();
      expect(error!.nextSteps).toBe('Use the file the build job wrote with --fragment-out.');
    }
  });

  it("a FragmentStore's state carries the plan's lineage, so `state merge` can check it", async () => {
    const lineage = '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11';
    const store = new FragmentStore('/nonexistent/f.json', { ...plan, state: { lineage, serial: 3 } }, []);
    expect((await store.read()).lineage).toBe(lineage);
  });

  it('NoLocker: a build runner takes a lock of its own at once, holds nothing shared, and has nothing to force-unlock', async () => {
    const locker = new NoLocker();
    const before = Date.now();
    const held = await locker.acquire('apply');
    expect(held.info).toMatchObject({ id: 'fragment', operation: 'apply', who: '', host: '', pid: process.pid });
    expect(Date.parse(held.info.created)).toBeGreaterThanOrEqual(before - 1000);
    expect(held.info.expires).toBe(held.info.created);
    await expect(held.release()).resolves.toBeUndefined();
    expect(await locker.current()).toBeUndefined();
    await expect(locker.forceUnlock()).rejects.toThrow(new BugError('fragments have no lock'));
    await expect(locker.forceUnlock()).rejects.toBeInstanceOf(BugError);
  });
});
