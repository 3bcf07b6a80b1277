import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { smallPlan } from '../../test/fixtures/plans.js';
import type { Action, Plan } from '../plan/types.js';
import { approvalFor, approves } from './approval.js';
import { promptApproval } from './approval-prompt.js';

/** smallPlan without its drift: builds, merges, a tag move (additive). */
const additive = (): Plan => ({ ...smallPlan(), drift: [], state: { lineage: '1a2b3c4d-5e6f-4000-8000-000000000000', serial: 7 } });
const prune: Action = { id: 'prune:mattermost@10.1.0', type: 'prune', address: 'mattermost@10.1.0', app: 'mattermost', image: 'mattermost', version: '10.1.0', digest: `sha256:${'c'.repeat(64)}`, reason: 'left the window', dependsOn: [] };

describe('approvalFor', () => {
  it('names the registry, the state serial and lineage, and the scope from the flags', () => {
    expect(approvalFor(additive(), {}).header).toBe('registry registry.local/mirror · state serial 7, lineage 1a2b3c4d · scope all apps');
    expect(approvalFor(additive(), { targets: ['mattermost', 'outline@1.10.0'], platform: 'linux/arm64' }).header)
      .toBe('registry registry.local/mirror · state serial 7, lineage 1a2b3c4d · scope --target mattermost --target outline@1.10.0 --platform linux/arm64');
    expect(approvalFor({ ...additive(), state: { lineage: null, serial: 0 } }, {}).header).toContain('· no state yet ·');
  });

  it('an additive plan takes y; a prune, a --replace merge or a drift repair needs the word yes', () => {
    expect(approvalFor(additive(), {}).needsYes).toBe(false);
    const pruning = { ...additive(), actions: [...additive().actions, prune] };
    expect(approvalFor(pruning, {})).toMatchObject({ needsYes: true, destructive: ['prunes 1 version from the registry'] });
    const replacing = { ...additive(), actions: additive().actions.map((a) => (a.type === 'merge' || a.type === 'build' ? { ...a, replace: true } : a)) };
    expect(approvalFor(replacing, {}).destructive).toEqual(['replaces 2 recorded versions (--replace)']);
    // smallPlan's drift: mattermost@10.3.2 moved outside mirror; an unknown tag alone is not repaired
    expect(approvalFor(smallPlan(), {}).destructive).toEqual(['repairs 1 drifted tag']);
    expect(approvalFor({ ...additive(), drift: [{ address: 'mattermost:edge', kind: 'unknown', expected: null, actual: `sha256:${'d'.repeat(64)}` }] }, {}).needsYes).toBe(false);
    expect(approvalFor(pruning, {}).question).toBe('This plan prunes 1 version from the registry. Type yes to apply: ');
  });

  it('approves: y or yes for an additive plan; exactly yes for a destructive one', () => {
    expect(['y', 'Y', 'yes', ' yes '].map((a) => approves(a, { needsYes: false }))).toEqual([true, true, true, true]);
    expect(['', 'n', 'yess', 'no'].map((a) => approves(a, { needsYes: false }))).toEqual([false, false, false, false]);
    expect(['y', 'Y', 'YES', 'ye', 'yes please'].map((a) => approves(a, { needsYes: true }))).toEqual([false, false, false, false, false]);
    expect(approves('yes', { needsYes: true })).toBe(true);
  });
});

describe('promptApproval (the plain-text prompt)', () => {
  const ask = async (plan: Plan, answer: string) => {
    const input = new PassThrough();
    const output = new PassThrough();
    let written = '';
    output.on('data', (c: Buffer) => { written += c.toString(); });
    const approved = promptApproval(plan, approvalFor(plan, { targets: ['mattermost'] }), { color: false, input, output });
    input.write(`${answer}\n`);
    return { approved: await approved, written };
  };

  it('shows the header and the plan, and refuses y for a pruning plan', async () => {
    const pruning = { ...additive(), actions: [...additive().actions, prune] };
    const r = await ask(pruning, 'y');
    expect(r.approved).toBe(false);
    expect(r.written).toContain('registry registry.local/mirror · state serial 7, lineage 1a2b3c4d · scope --target mattermost');
    expect(r.written).toContain('prune  mattermost@10.1.0');
    expect(r.written).toContain('This plan prunes 1 version from the registry. Type yes to apply: ');
    expect((await ask(pruning, 'yes')).approved).toBe(true);
  });

  it('takes y for an additive plan', async () => {
    const r = await ask(additive(), 'y');
    expect(r.approved).toBe(true);
    expect(r.written).toContain('Apply these actions? Only "y" or "yes" applies: ');
  });
});
