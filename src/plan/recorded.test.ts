/** The state's index records grouped per image, made once per plan. */
import { describe, expect, it } from 'vitest';
import { newState } from '../state/new-state.js';
import type { State } from '../state/types.js';
import { recordedByImage, recordedOf } from './recorded.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const index = (app: string, image: string, version: string | undefined, digest: string) => ({ type: 'index', app, image, ...(version ? { version } : {}), digest, createdAt: 't', updatedAt: 't' });

describe('recordedByImage', () => {
  it("gathers every index version of an image, a digest's first version, nothing of builds or other images", () => {
    // Given two versions of mm/mm, a re-recorded digest, a record without version, a build and another image
    const state: State = { ...newState(), resources: {
      'mm@1.0.0': index('mm', 'mm', '1.0.0', D(1)),
      'mm@2.0.0': index('mm', 'mm', '2.0.0', D(2)),
      'mm@2.0.1': index('mm', 'mm', '2.0.1', D(2)), // the same manifest recorded again under another version
      'mm@?': index('mm', 'mm', undefined, D(3)), // an older state without a version on the record
      'mm@3.0.0/linux/amd64': { type: 'build', app: 'mm', image: 'mm', version: '3.0.0', platform: 'linux/amd64', digest: D(4), createdAt: 't', updatedAt: 't' },
      'mm/worker@9.0.0': index('mm', 'worker', '9.0.0', D(9)),
    } as State['resources'] };
    const recorded = recordedByImage(state);
    // Then mm/mm has its three versions, each digest named by the first version recorded for it
    const mm = recordedOf(recorded, 'mm', 'mm');
    expect(mm.versions).toEqual(['1.0.0', '2.0.0', '2.0.1']);
    expect([...mm.byDigest]).toEqual([[D(1), '1.0.0'], [D(2), '2.0.0'], [D(3), undefined]]);
    expect(recordedOf(recorded, 'mm', 'worker').versions).toEqual(['9.0.0']);
    expect(recordedOf(recorded, 'ol', 'ol')).toEqual({ versions: [], byDigest: new Map() });
  });
});
