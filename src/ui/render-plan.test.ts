import { describe, expect, it } from 'vitest';
import { smallPlan } from '../../test/fixtures/plans.js';
import { savedPlanText } from './render-plan.js';

describe('plan --out', () => {
  it('names the file and the command that applies it; a plan without changes says there is nothing to apply', () => {
    expect(savedPlanText('plan.json', smallPlan())).toBe('Saved the plan to plan.json. To apply exactly this plan: mirror apply plan.json\n');
    expect(savedPlanText('p.json', { ...smallPlan(), actions: [] })).toBe('Saved the plan to p.json; it has no changes, so there is nothing to apply.\n');
  });
});
