/**
 * The plan's shape is written once, as the schema saved plans are checked with (types.ts infers
 * from it). A plan the planner makes must pass it unchanged: zod drops keys a variant does not
 * declare, so a field the planner writes on an action and its variant lacks shows up here as a
 * difference. Pure: a hand-made world that yields every action type.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { State } from '../state/types.js';
import { diff } from './diff.js';
import { emptyRepository, type Observed } from './observed.js';
import { PlanSchema } from './plan-schema.js';
import { ACTION_TYPES, type Plan } from './types.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const config = resolveConfig({
  registry: { url: 'localhost:5000/ns' },
  defaults: { maxVersions: 2, floatingTags: ['latest', '{major}'], attest: { sbom: true, provenance: true, sign: { key: 'env:K' } }, retention: { keepLatest: 1 } },
  apps: { mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } } },
}, 'test.json', {});
const state: State = { formatVersion: 2, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 3, resources: {}, history: [] };

/**
 * Window 3.0.0, 2.0.0. The registry holds 2.0.0 as a complete index mirror never recorded
 * (import, attest), 1.0.0 outside the window (prune), latest on 1.0.0 and `3` on a digest no
 * version has, `2` absent (tag moves from a version, from a digest, from nowhere); 3.0.0 is new
 * (build, merge, attest).
 */
function world(): Observed {
  const repo = emptyRepository();
  const index = { digest: D(20), mediaType: 'application/vnd.oci.image.index.v1+json', size: 500, platforms: ['linux/amd64', 'linux/arm64'].map((platform, i) => ({ platform, digest: D(200 + i), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 400 })) };
  repo.untracked = new Map([['2.0.0', index]]);
  for (const [tag, digest] of [['2.0.0', D(20)], ['1.0.0', D(10)], ['latest', D(10)], ['3', D(0xe1)]]) { repo.tags.add(tag); repo.tagDigests.set(tag, digest); }
  repo.attested = new Map([[D(20), []]]);
  return { windows: new Map([['mm', [{ version: '3.0.0', tag: 'v3.0.0', commit: 'abc1234' }, { version: '2.0.0', tag: 'v2.0.0' }]]]), registry: new Map([['mm', repo]]) };
}

const plan = (): Plan => diff(config, state, world(), { now: new Date('2026-01-01T00:00:00Z') });
/** 2.0.0 recorded as mirror's and rebuilt on `--replace` (builds and merge carry `replace`). */
const replacePlan = (): Plan => {
  const at = '2025-12-01T00:00:00.000Z';
  const recorded: State = { ...state, resources: { 'mm@2.0.0': { type: 'index', app: 'mm', image: 'mm', version: '2.0.0', digest: D(20), createdAt: at, updatedAt: at } } };
  return diff(config, recorded, world(), { now: new Date('2026-01-01T00:00:00Z'), replace: ['mm@2.0.0'] });
};

describe('plan schema', () => {
  it('a plan with every action type round-trips through the schema unchanged (no field outside its variant)', () => {
    // Given a plan the planner made, as saved
    const made = plan();
    expect(new Set(made.actions.map((a) => a.type))).toEqual(new Set(ACTION_TYPES));
    const tags = made.actions.filter((a) => a.type === 'tag');
    expect(tags.map((a) => [a.tag, a.from, a.fromDigest])).toEqual([['latest', '1.0.0', undefined], ['3', undefined, D(0xe1)], ['2', undefined, undefined]]);
    const replaced = replacePlan();
    expect(replaced.actions.filter((a) => (a.type === 'build' || a.type === 'merge') && a.replace).map((a) => a.id)).toEqual([
      'build:mm@2.0.0/linux/amd64', 'build:mm@2.0.0/linux/arm64', 'merge:mm@2.0.0',
    ]);
    for (const p of [made, replaced]) {
      const saved: unknown = JSON.parse(JSON.stringify(p));
      // When it is read back through the schema
      const parsed = PlanSchema.parse(saved);
      // Then nothing was dropped or changed
      expect(parsed).toEqual(saved);
    }
  });

  it.each([
    ['build', 'platform'], ['build', 'version'], ['merge', 'version'], ['tag', 'tag'], ['attest', 'version'],
    ['prune', 'digest'], ['import', 'digest'],
  ] as const)('refuses a %s action without its %s, naming the path', (type, field) => {
    // Given a saved plan whose first action of that type lost a field its variant requires
    const saved = JSON.parse(JSON.stringify(plan())) as { actions: Record<string, unknown>[] };
    const i = saved.actions.findIndex((a) => a.type === type);
    delete saved.actions[i][field];
    // Then the schema refuses it at that action's field
    const result = PlanSchema.safeParse(saved);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(['actions', i, field]);
  });

  it('refuses an action of a type this mirror does not know, at its type', () => {
    const saved = JSON.parse(JSON.stringify(plan())) as { actions: Record<string, unknown>[] };
    saved.actions[0].type = 'deploy';
    const result = PlanSchema.safeParse(saved);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(['actions', 0, 'type']);
  });
});
