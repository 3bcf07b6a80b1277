/**
 * accountBytes on hand-made registry contents: which bytes a prune frees and which platform
 * manifests it may delete, at the edges the plan-level retention tests do not reach (an app of two
 * images, floating tags this plan moves, manifests the observation did not read).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { AppSpec } from '../config/model.js';
import { newState } from '../state/new-state.js';
import type { State } from '../state/types.js';
import { emptyRepository, type ManifestContent, type Observed } from './observed.js';
import { accountBytes } from './retention-bytes.js';
import type { ActionOf } from './types.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** App `mm` with images `base` and `app` (app FROM base). */
const APP: AppSpec = resolveConfig({
  registry: { url: 'localhost:5000/ns' },
  defaults: { attest: { sbom: false, provenance: false, sign: false } },
  apps: { mm: { upstream: { type: 'github-releases', repository: 'a/mm' }, source: { git: 'g' }, images: { base: {}, app: { dependsOn: ['base'] } } } },
}, 'test.json', {}).apps[0];

type Repo = { tags: Record<string, string>; contents?: Record<string, ManifestContent> };
function observed(repos: Record<string, Repo>): Observed {
  const registry = new Map(Object.entries(repos).map(([image, { tags, contents }]) => {
    const repo = emptyRepository();
    for (const [tag, digest] of Object.entries(tags)) { repo.tags.add(tag); repo.tagDigests.set(tag, digest); }
    if (contents) repo.contents = new Map(Object.entries(contents));
    return [image, repo] as const;
  }));
  return { windows: new Map(), registry };
}

function prune(image: string, version: string, digest: string): ActionOf<'prune'> {
  return { id: `prune:${image}@${version}`, type: 'prune', address: `mm.${image}@${version}`, app: 'mm', image, version, digest, reason: 'r', dependsOn: [] };
}
function tagMove(app: string, image: string, tag: string): ActionOf<'tag'> {
  return { id: `tag:${image}:${tag}`, type: 'tag', address: `${image}:${tag}`, app, image, version: '9.0.0', tag, reason: 'r', dependsOn: [] };
}
function build(s: State, app: string, image: string, version: string, digest: string): void {
  s.resources[`${app}.${image}@${version}/linux/amd64`] = { type: 'build', app, image, version, platform: 'linux/amd64', digest, createdAt: 't', updatedAt: 't' };
}

const image = (size: number, ...blobs: Array<[number, number]>): ManifestContent => ({ size, blobs: blobs.map(([d, s]) => ({ digest: D(d), size: s })) });

describe('accountBytes', () => {
  it('counts a prune whose image nothing else keeps exactly: a single-platform image, and an index whose children were not read', () => {
    // Given only pruned versions tagged: 1.0.0 a single-platform image, 2.0.0 an index whose platform manifest was not GETted
    const contents = { [D(1)]: image(500, [10, 7], [11, 1000]), [D(2)]: { size: 300, manifests: [{ digest: D(20), size: 450 }] } };
    const prunes = [prune('base', '1.0.0', D(1)), prune('base', '2.0.0', D(2))];
    accountBytes(APP, newState(), observed({ base: { tags: { '1.0.0': D(1), '2.0.0': D(2) }, contents } }), prunes, []);
    // Then manifest + config + layer, and index + the child's size from the index's descriptor
    expect(prunes.map((p) => [p.bytes, p.manifests])).toEqual([[500 + 7 + 1000, []], [300 + 450, [D(20)]]]);
  });

  it("takes a platform manifest's size from its own GET, not the index's descriptor", () => {
    const contents = { [D(2)]: { size: 300, manifests: [{ digest: D(20), size: 450 }] }, [D(20)]: image(470, [21, 5]) };
    const prunes = [prune('base', '2.0.0', D(2))];
    accountBytes(APP, newState(), observed({ base: { tags: { '2.0.0': D(2) }, contents } }), prunes, []);
    expect(prunes[0].bytes).toBe(300 + 470 + 5);
  });

  it('a layer the other image of the app keeps is not freed: kept is counted across the app, pruned digests per image', () => {
    // Given base's 1.0.0 pruned, and app's kept 5.0.0 built FROM it (shares layer L)
    const L: [number, number] = [100, 9000];
    const base = { tags: { '1.0.0': D(1), '5.0.0': D(5) }, contents: { [D(1)]: image(500, L, [11, 1]), [D(5)]: image(500, [12, 2]) } };
    const app = { tags: { '5.0.0': D(50) }, contents: { [D(50)]: image(600, L, [13, 3]) } };
    const prunes = [prune('base', '1.0.0', D(1))];
    accountBytes(APP, newState(), observed({ base, app }), prunes, []);
    expect(prunes[0].bytes).toBe(500 + 1);
  });

  it("a pruned digest keeps nothing in its own image, but the same manifest tagged in the app's other image still keeps its blobs", () => {
    // Given base's 1.0.0 and app's 1.0.0 are the same manifest, and only base's is pruned
    const same = image(500, [10, 7], [11, 1000]);
    const prunes = [prune('base', '1.0.0', D(1))];
    accountBytes(APP, newState(), observed({ base: { tags: { '1.0.0': D(1) }, contents: { [D(1)]: same } }, app: { tags: { '1.0.0': D(1) }, contents: { [D(1)]: same } } }), prunes, []);
    expect(prunes[0]).toMatchObject({ bytes: 0, manifests: [] });
  });

  describe('a floating tag this plan moves keeps nothing where it points now', () => {
    // Given base's latest on an old hand-pushed image D(9) that shares layer L with the pruned 1.0.0
    const repos = (): Record<string, Repo> => ({ base: { tags: { '1.0.0': D(1), latest: D(9) }, contents: { [D(1)]: image(500, [100, 9000], [11, 1]), [D(9)]: image(500, [100, 9000]) } } });

    it("this app's tag move of this image frees the shared layer", () => {
      const prunes = [prune('base', '1.0.0', D(1))];
      accountBytes(APP, newState(), observed(repos()), prunes, [tagMove('mm', 'base', 'latest')]);
      expect(prunes[0].bytes).toBe(500 + 9000 + 1);
    });

    it("another image's or another app's move of a tag of the same name does not", () => {
      const prunes = [prune('base', '1.0.0', D(1))];
      accountBytes(APP, newState(), observed(repos()), prunes, [tagMove('mm', 'app', 'latest'), tagMove('ol', 'base', 'latest'), prune('base', '1.0.0', D(1))]);
      expect(prunes[0].bytes).toBe(500 + 1);
    });
  });

  it('a prune of an image the observation has no repository for counts nothing and deletes its recorded builds', () => {
    const s = newState();
    build(s, 'mm', 'app', '1.0.0', D(70));
    const prunes = [prune('app', '1.0.0', D(7))];
    accountBytes(APP, s, observed({ base: { tags: {} } }), prunes, []);
    expect(prunes[0]).toMatchObject({ bytes: 0, manifests: [D(70)] });
  });

  it("deletes only this image's and this app's recorded builds of the version", () => {
    // Given builds of 1.0.0 recorded for base, for app (same app, other image) and for another app's image named base
    const s = newState();
    build(s, 'mm', 'base', '1.0.0', D(70));
    build(s, 'mm', 'app', '1.0.0', D(71));
    build(s, 'ol', 'base', '1.0.0', D(72));
    const prunes = [prune('base', '1.0.0', D(1))];
    accountBytes(APP, s, observed({ base: { tags: { '1.0.0': D(1) } } }), prunes, []);
    expect(prunes[0].manifests).toEqual([D(70)]);
  });

  it('an index that lists itself (a hostile registry) is not also a platform manifest to delete', () => {
    const contents = { [D(1)]: { size: 300, manifests: [{ digest: D(1), size: 300 }, { digest: D(10), size: 400 }] } };
    const prunes = [prune('base', '1.0.0', D(1))];
    accountBytes(APP, newState(), observed({ base: { tags: { '1.0.0': D(1) }, contents } }), prunes, []);
    expect(prunes[0]).toMatchObject({ bytes: 300 + 400, manifests: [D(10)] });
  });
});
