/**
 * Gathers what a version's provenance states from the state, the config and the registry: the
 * upstream commit the tag resolved to (recorded by the builds), the base images by digest (the
 * `org.opencontainers.image.base.*` annotations buildah writes on each platform manifest), and
 * every build-arg value as the builds rendered it.
 */
import { hostname } from 'node:os';
import type { AppSpec, ImageSpec } from '../config/model.js';
import { renderTemplate, versionVars } from '../config/template.js';
import type { ProvenanceInput, Subject } from '../providers/attest/statement.js';
import { runIdentity } from '../providers/attest/statement.js';
import { isDigest } from '../oci/reference.js';
import { buildAddress } from '../state/addresses.js';
import type { Resource } from '../state/types.js';
import type { ApplyContext } from './context.js';
import { buildVars } from './steps.js';
import type { AttestTools } from './attest-tools.js';
import { ownPackage } from '../system/own-package.js';

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

/** A platform manifest of the index. */
export interface PlatformEntry {
  platform: string;
  digest: string;
}

/** The upstream repository as the config names it. */
function upstreamRepository(app: AppSpec): string {
  const u = app.upstream;
  if (u.type === 'github-releases') return u.repository;
  if (u.type === 'gitlab-tags') return `${u.baseUrl.replace(/\/$/, '')}/${u.project}`;
  return u.url;
}

/** Provenance input of one version's index. */
export async function provenanceInput(
  ctx: ApplyContext, tools: AttestTools, app: AppSpec, image: ImageSpec, index: Resource, platforms: PlatformEntry[], subject: Subject[],
): Promise<ProvenanceInput> {
  const version = index.version as string;
  const planApp = ctx.plan.apps.find((a) => a.name === app.name);
  const tag = index.upstream?.tag ?? planApp?.tags[version] ?? version;
  const builds = platforms.map((p) => ctx.recorder.state.resources[buildAddress(app.name, image.name, version, p.platform)]).filter((r): r is Resource => r !== undefined);
  const commit = index.upstream?.commit ?? builds.find((b) => b.upstream?.commit)?.upstream?.commit ?? planApp?.commits?.[version];
  const baseImages: ProvenanceInput['baseImages'] = [];
  const buildArgs: ProvenanceInput['buildArgs'] = [];
  for (const { platform, digest } of platforms) {
    const manifest = JSON.parse(Buffer.from((await ctx.registry.getManifest(image.name, digest)).bytes).toString()) as { annotations?: Record<string, string> };
    const name = manifest.annotations?.[BASE_NAME];
    const baseDigest = manifest.annotations?.[BASE_DIGEST];
    if (name && baseDigest && isDigest(baseDigest)) baseImages.push({ platform, name, digest: baseDigest });
    const vars = await buildVars(ctx, app.name, image, version, tag, platform);
    for (const [k, v] of Object.entries(image.buildArgs)) buildArgs.push({ platform, name: k, value: renderTemplate(v, vars) });
  }
  const times = builds.map((b) => b.createdAt).sort();
  const { builderId, invocationId } = runIdentity(tools.env, hostname(), tools.invocationId);
  return {
    app: app.name, image: image.name, version, repository: ctx.registry.repository(image.name),
    upstream: { type: app.upstream.type, repository: upstreamRepository(app), tag },
    source: { git: image.source.git, ref: renderTemplate(image.source.ref, versionVars(version, tag, platforms[0]?.platform ?? 'linux/amd64', ctx.config.registry.url)), ...(commit ? { commit } : {}) },
    platforms: platforms.map((p) => p.platform), subject, baseImages, buildArgs, builderId, invocationId,
    startedOn: times[0] ?? index.createdAt, finishedOn: index.createdAt, mirrorVersion: ownPackage().version,
  };
}
