/**
 * The registry rounds of one image, run as soon as its app's window and its tag listing are in:
 * no app waits for another's upstream or registry answers (at 40 ms a round trip, barriers
 * between all apps' rounds were most of a plan's time).
 *
 * 1. HEAD the tags whose digest matters: floating tags and their targets, window versions the
 *    state records (drift).
 * 1b. A floating tag that will move: find which version it points at now, so the reason can say
 *    `latest moves 10.3.0 → 10.3.1`. Newest first; usually the first HEAD matches.
 * 2. Recorded platform builds of versions whose index is missing or drifted (resume without rebuilding).
 */
import semver from 'semver';
import type { AppSpec } from '../../config/model.js';
import { floatingTagFor } from '../floating.js';
import type { ObservedRepository } from '../observed.js';
import type { RecordedImage } from '../recorded.js';
import type { RegistryBackend } from '../../providers/registry/types.js';
import type { WindowVersion } from '../../providers/upstream/types.js';
import { buildAddress, indexAddress } from '../../state/addresses.js';
import type { State } from '../../state/types.js';
import { learnTagDigest, startTagHead } from './tag-digests.js';

/** One image's inputs: its app, its app's window (newest first) and its repository's listing. */
export interface ImageRound {
  app: AppSpec;
  image: string;
  window: WindowVersion[];
  repo: ObservedRepository;
  state: State;
  registry: RegistryBackend;
  /** The state's index records of this image (plan/recorded.ts), grouped once for all images. */
  recorded: RecordedImage;
}

/**
 * HEADs that can start as soon as the listing is in, while the upstream is still answering (over
 * a real network the window waits for every releases page, since GitHub lists by date): one
 * round trip and more off every plan, as the registry's pool would otherwise idle meanwhile.
 * - Floating tags that name no version (`latest`): wanted whenever the window is not empty.
 * - Recorded versions the registry lists, newest first, at most maxVersions of them: round 1's
 *   drift check of window versions. The window holds at most that many versions, so on a steady
 *   cron plan each of these is one round 1 would send; a version that has just left the window
 *   costs one HEAD, whose answer a later round (--refresh-only's, retention's) takes if it asks.
 * Their digests are recorded only when a round asks for the tag (learnTagDigest). The floating
 * tags' HEADs need no state and go out with the listing; the recorded versions' once the state is read.
 */
export function startFloatingHeads(app: AppSpec, image: string, repo: ObservedRepository, registry: RegistryBackend): void {
  for (const tag of app.floatingTags) if (!tag.includes('{') && repo.tags.has(tag)) startTagHead(registry, image, repo, tag);
}

/** The recorded-version half of the early HEADs (see startFloatingHeads). */
export function startRecordedHeads(app: AppSpec, image: string, repo: ObservedRepository, registry: RegistryBackend, recorded: RecordedImage): void {
  const listed = recorded.versions.filter((v) => repo.tags.has(v) && semver.valid(v));
  for (const tag of listed.sort(semver.rcompare).slice(0, app.maxVersions)) startTagHead(registry, image, repo, tag);
}

/** Rounds 1, 1b and 2 for one image, filling `repo` in place. */
export async function observeImage(r: ImageRound): Promise<void> {
  const { app, image, window, repo, state, registry } = r;

  // Round 1: tags whose digest matters.
  const wanted = new Set<string>();
  for (const template of app.floatingTags) {
    const groups = new Map<string, string>();
    for (const { version } of window) {
      const tag = floatingTagFor(template, version);
      if (!groups.has(tag)) groups.set(tag, version); // window is newest first
    }
    for (const [tag, target] of groups) { wanted.add(tag); wanted.add(target); }
  }
  for (const { version } of window) {
    if (state.resources[indexAddress(app.name, image, version)]) wanted.add(version);
  }
  await Promise.all([...wanted].filter((tag) => repo.tags.has(tag) && !repo.tagDigests.has(tag)).map((tag) => learnTagDigest(registry, image, repo, tag)));

  // Round 1b: where a floating tag that will move points now.
  const recorded = r.recorded.byDigest;
  for (const template of app.floatingTags) {
    const group = new Map<string, string[]>();
    for (const { version } of window) {
      const tag = floatingTagFor(template, version);
      group.set(tag, [...(group.get(tag) ?? []), version]);
    }
    for (const [tag, versions] of group) {
      const current = repo.tagDigests.get(tag);
      if (!current || current === repo.tagDigests.get(versions[0]) || recorded.has(current)) continue;
      for (const version of versions.slice(1)) {
        if (!repo.tags.has(version)) continue;
        if (!repo.tagDigests.has(version)) await learnTagDigest(registry, image, repo, version);
        if (repo.tagDigests.get(version) === current) break;
      }
    }
  }

  // Round 2: recorded platform builds of versions whose index is missing or drifted.
  const digestHeads: Array<Promise<void>> = [];
  for (const { version } of window) {
    const idx = state.resources[indexAddress(app.name, image, version)];
    const present = repo.tags.has(version) && (!idx || repo.tagDigests.get(version) === idx.digest);
    if (present) continue;
    for (const platform of app.platforms) {
      const rec = state.resources[buildAddress(app.name, image, version, platform)];
      if (!rec || repo.manifests.has(rec.digest)) continue;
      repo.manifests.set(rec.digest, false);
      digestHeads.push(registry.headManifest(image, rec.digest).then((found) => { repo.manifests.set(rec.digest, found !== undefined); }));
    }
  }
  await Promise.all(digestHeads);
}
