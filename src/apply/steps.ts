/**
 * The apply steps (SPEC §6). Each does its I/O and records its result in state at once; none
 * decides what should exist (that is the planner's job).
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AbortError, BugError } from '../errors.js';
import type { ImageSpec } from '../config/model.js';
import { renderTemplate, versionVars, type TemplateVars } from '../config/template.js';
import type { ActionOf } from '../plan/types.js';
import { isDigest } from '../oci/reference.js';
import { entryFor, MediaType, platformString, servesPlatform, type Descriptor } from '../providers/registry/types.js';
import { buildAddress, indexAddress, tagAddress } from '../state/addresses.js';
import { specsOf, type ApplyContext } from './context.js';
import { resolveContained } from './contained-path.js';
import { imageLabels } from './labels.js';
import { applyPatches, renderPatches } from './patches.js';
import { assertPlannedCommit } from './source.js';

const parse = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString()) as Record<string, any>;

/** `repository@digest` of another image of the app for the same version and platform (`{image:NAME}`). */
export async function imageRef(ctx: ApplyContext, app: string, image: string, version: string, platform: string): Promise<string> {
  const recorded = ctx.recorder.state.resources[buildAddress(app, image, version, platform)];
  if (recorded) return `${ctx.registry.repository(image)}@${recorded.digest}`;
  // Built in an earlier run and published: take the platform entry of its index.
  const index = await ctx.registry.getManifest(image, version).catch(() => undefined);
  const entries = index && (parse(index.bytes).manifests as Descriptor[] | undefined);
  const entry = entries && entryFor(entries, platform);
  if (!entry) throw new AbortError(`${buildAddress(app, image, version, platform)} is needed as a base image but is neither recorded nor published.`, `Apply it first: mirror apply --target ${indexAddress(app, image, version)}`);
  return `${ctx.registry.repository(image)}@${entry.digest}`;
}

/**
 * Template variables of one platform build, `{image:NAME}` resolved to the dependency built for
 * the same version and platform. Provenance renders build args with these too, so it records
 * exactly what the build was given.
 */
export async function buildVars(ctx: ApplyContext, app: string, image: ImageSpec, version: string, tag: string, platform: string): Promise<TemplateVars> {
  const vars = versionVars(version, tag, platform, ctx.config.registry.url);
  vars.images = {};
  for (const dep of image.dependsOn) vars.images[dep] = await imageRef(ctx, app, dep, version, platform);
  return vars;
}

/**
 * The build's context and Dockerfile, resolved with upstream's symlinks inside the patched copy: a
 * committed `ctx -> /root` would otherwise hand the builder the host's home as context. Returned
 * relative to the copy, so the builder is given the resolved paths, not the links.
 */
async function buildPaths(dir: string, image: ImageSpec, where: string): Promise<{ context: string; dockerfile: string }> {
  const context = await resolveContained(dir, image.context, `${where}.context`);
  const dockerfile = await resolveContained(dir, image.dockerfile, `${where}.dockerfile`);
  if (context.missing) throw new AbortError(`${where}.context "${image.context}" does not exist in the source.`, 'Upstream may have moved it; update context in the config.');
  if (dockerfile.missing) throw new AbortError(`${where}.dockerfile "${image.dockerfile}" does not exist in the source.`, 'Upstream may have moved it; update dockerfile in the config.');
  const root = await realpath(dir);
  return { context: path.relative(root, context.real) || '.', dockerfile: path.relative(root, dockerfile.real) };
}

/** Build one platform image and push it by digest. */
export async function buildStep(ctx: ApplyContext, action: ActionOf<'build'>): Promise<string> {
  const { app, image, planApp } = specsOf(ctx, action.app, action.image);
  const { version, platform } = action;
  const tag = planApp.tags[version];
  if (!tag) throw new BugError(`plan has no upstream tag for ${action.app} ${version}`);
  const vars = await buildVars(ctx, app.name, image, version, tag, platform);
  const log = (line: string) => ctx.log(action.id, line);
  const ref = renderTemplate(image.source.ref, vars);
  const checkout = await ctx.sources.checkout(image.source.git, ref, log);
  // The plan's commit is the upstream's word for this tag; it binds only when the source is checked out at that tag.
  assertPlannedCommit(checkout, ref === tag ? planApp.commits?.[version] : undefined, { address: action.address, git: image.source.git, ref });
  const dir = await ctx.sources.workingCopy(checkout);
  const where = `apps.${app.name}${app.images.length > 1 ? `.images.${image.name}` : ''}`;
  const patches = renderPatches(image.patches, (t) => renderTemplate(t, vars));
  await applyPatches(dir, patches, image.dockerfile, where);
  const { context, dockerfile } = await buildPaths(dir, image, where);
  log(`mirror: source ready at ${checkout.commit} (${patches.length} patch${patches.length === 1 ? '' : 'es'} applied)`);
  const buildArgs = Object.fromEntries(Object.entries(image.buildArgs).map(([k, v]) => [k, renderTemplate(v, vars)]));
  const labels = imageLabels({ version, git: image.source.git, commit: checkout.commit, title: image.name });
  const builder = await ctx.builder(app);
  const started = new Date().toISOString();
  const result = await builder.build({
    sourceDir: dir, context, dockerfile, platform, buildArgs, labels,
    image: image.name, registry: ctx.registry, mountFrom: image.dependsOn, log, signal: ctx.signal,
  });
  log(`mirror: pushed ${result.digest}`);
  const now = new Date().toISOString();
  const upstream = { tag, commit: checkout.commit };
  await ctx.recorder.record(action.address, {
    type: 'build', app: app.name, image: image.name, version, platform, digest: result.digest, mediaType: result.mediaType, size: result.size,
    upstream, builder: builder.name, origin: 'built',
    buildArgsHash: `sha256:${createHash('sha256').update(JSON.stringify(Object.entries(buildArgs).sort())).digest('hex')}`,
    createdAt: started, updatedAt: now,
  }, 'build', upstream);
  return result.digest;
}

/** Platform of a pushed image, read from its config (never assumed from the plan). */
async function platformOf(ctx: ApplyContext, image: string, digest: string): Promise<Descriptor> {
  const manifest = await ctx.registry.getManifest(image, digest);
  const body = parse(manifest.bytes);
  const config = parse(await ctx.registry.getBlob(image, body.config.digest));
  return {
    mediaType: manifest.descriptor.mediaType || body.mediaType || MediaType.OciManifest, digest, size: manifest.bytes.length,
    platform: { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) },
  };
}

/** Merge the platform digests into an OCI index under the version tag. No blob moves. */
export async function mergeStep(ctx: ApplyContext, action: ActionOf<'merge'>): Promise<string> {
  const { app, image, planApp } = specsOf(ctx, action.app, action.image);
  const { version } = action;
  const entries: Descriptor[] = [];
  let upstream: { tag: string; commit?: string } | undefined;
  for (const platform of app.platforms) {
    const rec = ctx.recorder.state.resources[buildAddress(app.name, image.name, version, platform)];
    if (!rec) throw new AbortError(`Cannot merge ${action.address}: no digest recorded for ${platform}.`, 'Run the builds first (or fold their fragments into state).');
    upstream ??= rec.upstream;
    const entry = await platformOf(ctx, image.name, rec.digest);
    // Stryker disable next-line StringLiteral: platformOf always sets a platform; the fallback is for the type only
    const actual = platformString(entry) ?? 'unknown-platform';
    if (!servesPlatform(actual, platform)) throw new AbortError(`${rec.digest} recorded for ${platform} of ${action.address} is an ${actual} image; refusing to publish it.`);
    entries.push(entry);
  }
  const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: entries };
  const bytes = new Uint8Array(Buffer.from(JSON.stringify(index)));
  const put = await ctx.registry.putManifest(image.name, version, bytes, MediaType.OciIndex);
  const now = new Date().toISOString();
  upstream ??= { tag: planApp.tags[version] ?? version };
  await ctx.recorder.record(action.address, {
    type: 'index', app: app.name, image: image.name, version, digest: put.digest, mediaType: MediaType.OciIndex, size: put.size,
    platforms: app.platforms, tags: [version], upstream, origin: 'built', createdAt: now, updatedAt: now,
  }, 'merge', upstream);
  return put.digest;
}

/** Point a floating tag at a version's index (same manifest bytes, so the same digest). */
export async function tagStep(ctx: ApplyContext, action: ActionOf<'tag'>): Promise<string> {
  const { version, tag } = action;
  const rec = ctx.recorder.state.resources[indexAddress(action.app, action.image, version)];
  const reference = rec?.digest ?? version;
  const manifest = await ctx.registry.getManifest(action.image, reference);
  // Stryker disable next-line ConditionalExpression,StringLiteral: an invariant; both backends return the digest they computed from the bytes
  if (!isDigest(manifest.descriptor.digest)) throw new BugError('manifest without digest');
  // One HEAD so history says where the tag really was (it may have been moved by hand: drift).
  const before = await ctx.registry.headManifest(action.image, tag);
  const put = await ctx.registry.putManifest(action.image, tag, manifest.bytes, manifest.descriptor.mediaType);
  const now = new Date().toISOString();
  await ctx.recorder.record(tagAddress(action.app, action.image, tag), {
    type: 'tag', app: action.app, image: action.image, version, tag, digest: put.digest, mediaType: put.mediaType, createdAt: now, updatedAt: now,
  }, 'tag', undefined, before?.digest);
  return put.digest;
}
