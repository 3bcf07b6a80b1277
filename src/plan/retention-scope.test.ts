/**
 * Retention looks only at its own image (issue 20's mutation run): another app's tag moves, and
 * records that are not this image's published indexes, neither rank versions nor hold prunes back.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { newState } from '../state/new-state.js';
import { diff } from './diff.js';
import { planRetention } from './retention.js';
import type { Action } from './types.js';
import { emptyRepository, type Observed } from './observed.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const NOW = new Date('2026-06-01T00:00:00Z');
const config = resolveConfig({
  registry: { url: 'localhost:5000/ns' },
  defaults: { maxVersions: 1, attest: { sbom: false, provenance: false, sign: false }, retention: { keepLatest: 1 } },
  apps: {
    mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' } },
    ol: { upstream: { type: 'github-releases', repository: 'a/ol' }, source: { git: 'g' } },
  },
}, 'test.json', {});

function world(): Observed {
  const repo = (tags: Record<string, string>) => {
    const r = emptyRepository();
    for (const [t, d] of Object.entries(tags)) { r.tags.add(t); r.tagDigests.set(t, d); }
    return r;
  };
  return {
    windows: new Map([['mm', [{ version: '3.0.0', tag: 'v3.0.0' }]], ['ol', [{ version: '1.0.0', tag: 'v1.0.0' }]]]),
    registry: new Map([['mm', repo({ '3.0.0': D(3), '2.0.0': D(2), '1.0.0': D(1), latest: D(3) })], ['ol', repo({ '1.0.0': D(51) })]]),
  };
}
const prunesOf = (p: ReturnType<typeof diff>, app: string) => p.actions.filter((a) => a.type === 'prune' && a.app === app).map((a) => [a.version, a.dependsOn]);

describe('retention scope', () => {
  it("another app's tag move onto the same version number neither keeps this image's version nor delays its prunes", () => {
    const p = diff(config, newState(), world(), { now: NOW });
    expect(p.actions.find((a) => a.id === 'tag:ol:latest')).toMatchObject({ version: '1.0.0' });
    expect(prunesOf(p, 'mm')).toEqual([['2.0.0', []], ['1.0.0', []]]);
  });

  it('only published indexes of this app and image rank: not a build record, not a renamed app or another image', () => {
    const s = newState();
    const at = '2026-05-01T00:00:00Z';
    s.resources['mm@9.0.0/linux/amd64'] = { type: 'build', app: 'mm', image: 'mm', version: '9.0.0', platform: 'linux/amd64', digest: D(90), createdAt: at, updatedAt: at };
    s.resources['old@8.0.0'] = { type: 'index', app: 'old', image: 'mm', version: '8.0.0', digest: D(80), createdAt: at, updatedAt: at };
    s.resources['ol@7.0.0'] = { type: 'index', app: 'ol', image: 'ol', version: '7.0.0', digest: D(70), createdAt: at, updatedAt: at };
    s.resources['mm@6.0.0'] = { type: 'index', app: 'mm', image: 'other', version: '6.0.0', digest: D(60), createdAt: at, updatedAt: at };
    const p = diff(config, s, world(), { now: NOW });
    expect(p.actions.filter((a) => a.type === 'prune' && a.app === 'mm').map((a) => [a.version, a.reason])).toEqual([
      ['2.0.0', 'beyond keepLatest 1 (rank 2)'], ['1.0.0', 'beyond keepLatest 1 (rank 3)'],
    ]);
  });
});

describe('retention and the plan\'s other actions (mutation testing, issue 20)', () => {
  const two = resolveConfig({
    registry: { url: 'localhost:5000/ns' },
    defaults: { maxVersions: 1, attest: { sbom: false, provenance: false, sign: false }, retention: { keepLatest: 1 } },
    apps: { ol: { upstream: { type: 'github-releases', repository: 'a/ol' }, source: { git: 'g' }, images: { base: {}, web: { dependsOn: ['base'] } } } },
  }, 'test.json', {});
  const repo = (tags: Record<string, string>, unread: string[] = []) => {
    const r = emptyRepository();
    for (const [t, d] of Object.entries(tags)) { r.tags.add(t); r.tagDigests.set(t, d); }
    for (const t of unread) r.tags.add(t);
    return r;
  };
  const common = { app: 'ol', version: '3.0.0', reason: 'r' };
  const tagMove = (image: string): Action => ({ ...common, id: `tag:ol/${image}:latest`, type: 'tag', address: `ol/${image}:latest`, image, tag: 'latest', dependsOn: [] });
  const observed = (base: ReturnType<typeof repo>): Observed => ({
    windows: new Map([['ol', [{ version: '3.0.0', tag: 'v3.0.0' }]]]),
    registry: new Map([['base', base], ['web', repo({ '3.0.0': D(33) })]]),
  });

  it("a prune waits for this image's tag moves only, not for builds, merges or another image's tag moves", () => {
    // Given base's latest still on 2.0.0, a plan that builds and merges base 3.0.0 and moves web's latest
    const planned: Action[] = [
      { ...common, id: 'build:ol/base@3.0.0/linux/amd64', type: 'build', address: 'ol/base@3.0.0/linux/amd64', image: 'base', platform: 'linux/amd64', dependsOn: [] },
      { ...common, id: 'merge:ol/base@3.0.0', type: 'merge', address: 'ol/base@3.0.0', image: 'base', dependsOn: ['build:ol/base@3.0.0/linux/amd64'] },
      tagMove('web'),
    ];
    const prunes = planRetention(two, newState(), observed(repo({ '3.0.0': D(3), '2.0.0': D(2), '1.0.0': D(1), latest: D(2) })), planned, NOW);
    // Then base's latest (not moved by this plan) keeps 2.0.0, and 1.0.0's prune depends on nothing
    expect(prunes.map((a) => [a.image, a.version, a.dependsOn])).toEqual([['base', '1.0.0', []]]);
    // and once base's own latest moves, 2.0.0 goes too, after that move
    const moved = planRetention(two, newState(), observed(repo({ '3.0.0': D(3), '2.0.0': D(2), '1.0.0': D(1), latest: D(2) })), [...planned, tagMove('base')], NOW);
    expect(moved.map((a) => [a.image, a.version, a.dependsOn])).toEqual([['base', '2.0.0', ['tag:ol/base:latest']], ['base', '1.0.0', ['tag:ol/base:latest']]]);
  });

  it('a version tag whose digest was not read is not pruned (a prune deletes by digest)', () => {
    const prunes = planRetention(two, newState(), observed(repo({ '3.0.0': D(3), '1.0.0': D(1) }, ['2.0.0'])), [], NOW);
    expect(prunes.map((a) => [a.version, a.digest])).toEqual([['1.0.0', D(1)]]);
  });
});
