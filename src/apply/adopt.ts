/**
 * Adoption (`import`): the records of a version the registry already holds as a complete index,
 * shared by the plan's `import` action and the `mirror import` command so both record the same
 * thing. Adopted records say `origin: adopted`: mirror did not build them, so they carry no
 * builder, no build args and no upstream commit, and mirror never makes provenance for them.
 */
import { AbortError } from '../errors.js';
import type { AppSpec } from '../config/model.js';
import { missingPlatforms, readRegistryVersion, type RegistryVersion } from '../plan/observed.js';
import type { ActionOf } from '../plan/types.js';
import { NotFoundError } from '../providers/registry/errors.js';
import { buildAddress, indexAddress } from '../state/addresses.js';
import type { Resource } from '../state/types.js';
import { specsOf, type ApplyContext } from './context.js';

/** Why a registry version cannot be adopted (undefined: it can). */
export function notAdoptable(found: RegistryVersion, app: AppSpec): string | undefined {
  const missing = missingPlatforms(found, app.platforms);
  if (missing.length === 0) return undefined;
  return found.platforms === null
    ? 'a single-platform image: mirror plan rebuilds it as a multi-arch index'
    : `an index without ${missing.join(', ')}: mirror plan rebuilds it as a multi-arch index`;
}

/** The index record and one build record per configured platform of an adoptable version. */
export function adoptedRecords(app: AppSpec, image: string, version: string, found: RegistryVersion, now: string): Array<[string, Resource]> {
  const out: Array<[string, Resource]> = [];
  const base = { app: app.name, image, version, origin: 'adopted' as const, createdAt: now, updatedAt: now };
  for (const p of found.platforms ?? []) {
    if (!app.platforms.includes(p.platform)) continue;
    out.push([buildAddress(app.name, image, version, p.platform), { ...base, type: 'build', platform: p.platform, digest: p.digest, mediaType: p.mediaType, size: p.size }]);
  }
  out.push([indexAddress(app.name, image, version), {
    ...base, type: 'index', digest: found.digest, mediaType: found.mediaType, size: found.size,
    platforms: app.platforms.filter((p) => found.platforms?.some((f) => f.platform === p)), tags: [version],
  }]);
  return out;
}

/** The `import` step: record what the version tag holds, after checking it is what the plan saw. Writes nothing to the registry. */
export async function importStep(ctx: ApplyContext, action: ActionOf<'import'>): Promise<string> {
  const { app, image } = specsOf(ctx, action.app, action.image);
  const { version } = action;
  const fetched = await ctx.registry.getManifest(image.name, version).catch((error: unknown) => { if (error instanceof NotFoundError) return undefined; throw error; });
  if (!fetched || fetched.descriptor.digest !== action.digest) {
    throw new AbortError(`Cannot import ${action.address}: the registry's ${version} tag is ${fetched ? `at ${fetched.descriptor.digest}` : 'gone'}, the plan adopted ${action.digest}.`, 'Run mirror plan again: the registry changed since the plan.');
  }
  const found = readRegistryVersion(fetched.descriptor, fetched.bytes);
  const why = notAdoptable(found, app);
  if (why) throw new AbortError(`Cannot import ${action.address}: it is ${why}.`);
  await ctx.recorder.adopt(adoptedRecords(app, image.name, version, found, new Date().toISOString()));
  return found.digest;
}
