/**
 * `mirror import ADDR` (Terraform's import): record what the registry already holds, the way the
 * plan's `import` action does (src/apply/adopt.ts). It never overwrites a record: an address the
 * state knows is refused, naming since when and by what, so a version mirror built keeps its
 * upstream commit, builder and attestations. `import APP` adopts window versions and configured
 * floating tags only, and says what it skipped and why.
 */
import semver from 'semver';
import type { AppSpec, ResolvedConfig } from '../config/model.js';
import { AbortError } from '../errors.js';
import { adoptedRecords, notAdoptable } from '../apply/adopt.js';
import { REFERRER_TAG } from '../plan/drift.js';
import { floatingTagFor } from '../plan/floating.js';
import { readRegistryVersion, type RegistryVersion } from '../plan/observed.js';
import { NotFoundError } from '../providers/registry/errors.js';
import type { RegistryBackend } from '../providers/registry/types.js';
import { indexAddress, parseAddress, tagAddress } from '../state/addresses.js';
import type { HistoryEvent, Resource, State } from '../state/types.js';
import { resolveAppWindow } from './observe.js';
import { event, modifyState, type StateOptions } from './state.js';

/** What an import recorded, and what it left out and why. */
export interface ImportResult {
  imported: string[];
  skipped: Array<{ address: string; why: string }>;
}

/** `X is already in the state (since T, by OPERATION of WHO)`: the refusal, with the ways forward. */
function alreadyRecorded(state: State, address: string, isVersion: boolean): AbortError {
  const rec = state.resources[address];
  const last = [...state.history].reverse().find((e) => e.address === address && e.digest === rec.digest);
  const origin = rec.origin === 'adopted' ? 'adopted' : 'built by mirror';
  const since = last ? `since ${last.time}, recorded by ${last.operation} (${last.who})` : `since ${rec.createdAt}`;
  return new AbortError(`${address} is already in the state (${origin}, ${since}); import never overwrites a record.`,
    `${isVersion ? `To rebuild it from source: mirror apply --replace ${address}. ` : ''}To record what the registry holds instead: mirror state rm ${address}, then mirror import ${address}.`);
}

/** The registry's version/tag, or undefined when the tag does not exist. */
async function fetchTag(registry: RegistryBackend, image: string, tag: string): Promise<RegistryVersion | undefined> {
  const fetched = await registry.getManifest(image, tag).catch((error: unknown) => { if (error instanceof NotFoundError) return undefined; throw error; });
  return fetched && readRegistryVersion(fetched.descriptor, fetched.bytes);
}

/** Collects records and events for one import run. */
class Adoption {
  readonly resources: Record<string, Resource>;
  readonly history: HistoryEvent[];
  readonly result: ImportResult = { imported: [], skipped: [] };
  readonly now = new Date().toISOString();
  constructor(state: State, private readonly env: NodeJS.ProcessEnv | undefined) {
    this.resources = { ...state.resources };
    this.history = [...state.history];
  }
  add(records: Array<[string, Resource]>) {
    for (const [address, rec] of records) {
      this.resources[address] = rec;
      this.history.push(event('import', address, this.env, rec.digest));
      this.result.imported.push(address);
    }
  }
  skip(address: string, why: string) { this.result.skipped.push({ address, why }); }
  /** A floating tag's record, pointing at the version whose index it holds (when recorded). */
  tag(app: AppSpec, image: string, tag: string, found: RegistryVersion): Array<[string, Resource]> {
    const version = Object.values(this.resources).find((r) => r.type === 'index' && r.app === app.name && r.image === image && r.digest === found.digest)?.version;
    return [[tagAddress(app.name, image, tag), { type: 'tag', app: app.name, image, tag, ...(version ? { version } : {}), digest: found.digest, mediaType: found.mediaType, origin: 'adopted', createdAt: this.now, updatedAt: this.now }]];
  }
}

/** `import APP@VERSION` or `import APP:TAG`: exactly that address, or a one-sentence refusal. */
async function importOne(a: Adoption, state: State, registry: RegistryBackend, app: AppSpec, image: string, target: { version?: string; tag?: string }): Promise<void> {
  const address = target.tag ? tagAddress(app.name, image, target.tag) : indexAddress(app.name, image, target.version as string);
  if (state.resources[address]) throw alreadyRecorded(state, address, !target.tag);
  if (target.tag && REFERRER_TAG.test(target.tag)) throw new AbortError(`Not importing ${address}: ${target.tag} holds attestations (the referrers tag schema), not an image.`);
  const found = await fetchTag(registry, image, target.tag ?? (target.version as string));
  if (!found) throw new AbortError(`Nothing to import for ${address}: the registry has no ${target.tag ?? target.version} tag in ${registry.repository(image)}.`);
  const why = notAdoptable(found, app);
  if (why) throw new AbortError(`Not importing ${address}: it is ${why}.`, 'Run mirror plan: it proposes the builds and the merge.');
  a.add(target.tag ? a.tag(app, image, target.tag, found) : adoptedRecords(app, image, target.version as string, found, a.now));
}

/** `import APP` (or APP/IMAGE): window versions and configured floating tags; everything else is listed as skipped. */
async function importApp(a: Adoption, state: State, config: ResolvedConfig, registry: RegistryBackend, app: AppSpec, images: string[], env: NodeJS.ProcessEnv | undefined): Promise<void> {
  const window = (await resolveAppWindow(config, app, env, () => {})).versions.map((w) => w.version);
  const floating = new Set(app.floatingTags.flatMap((t) => window.map((v) => floatingTagFor(t, v))));
  for (const image of images) {
    const tags = (await registry.listTags(image)).sort();
    // Versions first, so a floating tag can name the version it points at.
    const ordered = [...tags.filter((t) => semver.valid(t)), ...tags.filter((t) => !semver.valid(t))];
    for (const tag of ordered) {
      const isVersion = semver.valid(tag) !== null;
      const address = isVersion ? indexAddress(app.name, image, tag) : tagAddress(app.name, image, tag);
      if (REFERRER_TAG.test(tag)) { a.skip(address, 'referrer tag (attestations), not an image'); continue; }
      if (isVersion && !window.includes(tag)) { a.skip(address, `outside the window (the last ${app.maxVersions} upstream versions)`); continue; }
      if (!isVersion && !floating.has(tag)) { a.skip(address, 'neither a window version nor a configured floating tag'); continue; }
      if (state.resources[address]) { a.skip(address, 'already in the state'); continue; }
      const found = await fetchTag(registry, image, tag);
      if (!found) continue; // deleted since the listing
      const why = notAdoptable(found, app);
      if (why) { a.skip(address, why); continue; }
      a.add(isVersion ? adoptedRecords(app, image, tag, found, a.now) : a.tag(app, image, tag, found));
    }
  }
}

/** `import ADDR`: adopt what the registry holds into the state (never over a record); only ADDR's records can change. */
export async function importAddress(opts: StateOptions, address: string): Promise<ImportResult> {
  const target = parseAddress(address);
  if (target.platform) throw new AbortError(`Cannot import ${address} alone: a platform build is imported with its version.`, `Import the version: mirror import ${address.slice(0, address.lastIndexOf('@'))}@${target.version}`);
  let result: ImportResult = { imported: [], skipped: [] };
  await modifyState(opts, 'import', async (state, ws) => {
    const { config } = ws;
    const app = config.apps.find((x) => x.name === target.app);
    if (!app) throw new AbortError(`App "${target.app}" is not in the config.`);
    const image = target.image ?? target.app;
    if ((target.image || target.version || target.tag) && !app.images.some((i) => i.name === image)) {
      throw new AbortError(`${address}: app ${app.name} has no image ${image}.`, `Its images: ${app.images.map((i) => i.name).join(', ')}.`);
    }
    const registry = ws.openRegistry();
    const a = new Adoption(state, opts.env);
    try {
      if (target.version || target.tag) await importOne(a, state, registry, app, image, target);
      else await importApp(a, state, config, registry, app, target.image ? [image] : app.images.map((i) => i.name), opts.env);
    } finally {
      await registry.close();
    }
    result = a.result;
    if (result.imported.length === 0) {
      throw new AbortError(`Nothing to import for ${address}.`, result.skipped.length > 0 ? `Skipped: ${result.skipped.map((s) => `${s.address} (${s.why})`).join('; ')}.` : 'The registry holds no window version or floating tag of it.');
    }
    return { ...state, resources: a.resources, history: a.history };
  }, [address]);
  return result;
}
