/**
 * The state's recorded versions grouped by app and image, made once per plan. The planner and the
 * observation ask "which versions (digests) does the state record for this image?" for every
 * window version and floating tag; scanning every resource each time made a plan quadratic in the state's size
 * (200 apps with 1,000 recorded versions: ~1 s of CPU in the diff and the HEAD rounds).
 */
import type { State } from '../state/types.js';

/** The index records of one image: their versions, and the version of each digest (the first record's). */
export interface RecordedImage {
  versions: string[];
  byDigest: Map<string, string | undefined>;
}

const NONE: RecordedImage = { versions: [], byDigest: new Map() };
const keyOf = (app: string, image: string) => `${app}\u0000${image}`;

/** Every image's recorded index versions and digests, from one pass over the state. */
export function recordedByImage(state: State): Map<string, RecordedImage> {
  const out = new Map<string, RecordedImage>();
  for (const r of Object.values(state.resources)) {
    if (r.type !== 'index') continue;
    const key = keyOf(r.app, r.image);
    let entry = out.get(key);
    if (!entry) out.set(key, entry = { versions: [], byDigest: new Map() });
    if (r.version) entry.versions.push(r.version);
    if (!entry.byDigest.has(r.digest)) entry.byDigest.set(r.digest, r.version);
  }
  return out;
}

/** One image's entry (empty when the state records none of its versions). */
export function recordedOf(recorded: Map<string, RecordedImage>, app: string, image: string): RecordedImage {
  return recorded.get(keyOf(app, image)) ?? NONE;
}
