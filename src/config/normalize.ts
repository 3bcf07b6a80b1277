/**
 * Parsed config → ResolvedConfig, collecting every semantic problem (unknown placeholders,
 * dependsOn cycles, missing sources, unset env vars) with its path, so one run reports them all.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ParsedApp, ParsedConfig } from './schema.js';
import { DEFAULTS, DEFAULT_RUNNERS, type AppSpec, type BuildIsolation, type ImageSpec, type ResolvedConfig } from './model.js';
import { unknownPlaceholders } from './template.js';
import { AbortError } from '../errors.js';
import { parseRegistryUrl } from '../oci/reference.js';

/** Result of normalization: a config, or the problems that prevent one. */
export type NormalizeResult = { config: ResolvedConfig; errors: [] } | { config?: undefined; errors: string[] };

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/** Resolve `env:NAME`; `optional` keys treat an unset variable as "not given" (registry creds fall back to docker config). */
function resolveEnv(value: string | undefined, where: string, env: NodeJS.ProcessEnv, errors: string[], optional = false) {
  if (value === undefined) return undefined;
  const m = ENV_REF.exec(value);
  if (!m) return value;
  const resolved = env[m[1]];
  if (resolved === undefined || resolved === '') {
    if (!optional) errors.push(`${where}: environment variable ${m[1]} is not set`);
    return undefined;
  }
  return resolved;
}

function checkTemplate(template: string, where: string, errors: string[], images?: readonly string[]) {
  for (const name of unknownPlaceholders(template, images ?? [])) {
    errors.push(`${where}: unknown placeholder {${name}}`);
  }
}

/** Order images so every image comes after what it dependsOn; report unknown names and cycles. */
function orderImages(app: string, images: ImageSpec[], errors: string[]): ImageSpec[] {
  const byName = new Map(images.map((i) => [i.name, i]));
  const ordered: ImageSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (image: ImageSpec, trail: string[]) => {
    if (state.get(image.name) === 'done') return;
    if (state.get(image.name) === 'visiting') {
      errors.push(`apps.${app}.images.${image.name}.dependsOn: cycle ${[...trail, image.name].join(' → ')}`);
      return;
    }
    state.set(image.name, 'visiting');
    for (const dep of image.dependsOn) {
      const target = byName.get(dep);
      if (!target) errors.push(`apps.${app}.images.${image.name}.dependsOn: unknown image "${dep}"`);
      else visit(target, [...trail, image.name]);
    }
    state.set(image.name, 'done');
    ordered.push(image);
  };
  for (const image of images) visit(image, []);
  return ordered;
}

/** `builder: 'buildah'` or `{ type: 'buildah', isolation }` → the builder kind and its isolation (OCI unless asked). */
function builderOf(builder: ParsedApp['builder']): { builder: AppSpec['builder']; isolation: BuildIsolation } {
  if (builder === undefined) return { builder: DEFAULTS.builder, isolation: 'oci' };
  if (typeof builder === 'string') return { builder, isolation: 'oci' };
  return { builder: builder.type, isolation: builder.isolation };
}

/**
 * `repositories`: image name → the config path that builds it, shared by all apps. Every image is
 * a repository under registry.url named after it: two apps with an image of the same name would
 * publish into one repository, move each other's `latest` and prune each other's versions.
 */
function normalizeApp(name: string, app: ParsedApp, cfg: ParsedConfig, errors: string[], repositories: Map<string, string>): AppSpec {
  const d = cfg.defaults;
  const at = `apps.${name}`;
  const rawImages = app.images ?? { [name]: {} };
  const images: ImageSpec[] = [];
  for (const [imageName, img] of Object.entries(rawImages)) {
    const where = app.images ? `${at}.images.${imageName}` : at;
    const first = repositories.get(imageName);
    if (first) errors.push(`${where}: image "${imageName}" is also built by ${first}; both would publish into the one repository "${imageName}" (each app's latest and retention would act on the other's versions). Rename one of them (a single-image app's image is named after the app).`);
    else repositories.set(imageName, where);
    const source = img.source ?? app.source;
    if (!source) errors.push(`${where}.source: Required (a git repository and ref to build from)`);
    const spec: ImageSpec = {
      name: imageName,
      source: source ?? { git: '', ref: '{tag}' },
      context: img.context ?? app.context ?? '.',
      dockerfile: img.dockerfile ?? app.dockerfile ?? 'Dockerfile',
      buildArgs: { ...app.buildArgs, ...img.buildArgs },
      patches: img.patches ?? app.patches ?? [],
      dependsOn: 'dependsOn' in img ? (img.dependsOn ?? []) : [],
    };
    // {image:X} may only name an image this one is built after, else its digest is not known yet.
    checkTemplate(spec.source.ref, `${where}.source.ref`, errors);
    for (const [k, v] of Object.entries(spec.buildArgs)) checkTemplate(v, `${where}.buildArgs.${k}`, errors, spec.dependsOn);
    spec.patches.forEach((p, i) => {
      for (const key of ['replace', 'with', 'insert'] as const) {
        const v = (p as Record<string, unknown>)[key];
        if (typeof v === 'string') checkTemplate(v, `${where}.patches.${i}.${key}`, errors);
      }
    });
    images.push(spec);
  }
  (app.requires ?? []).forEach((r, i) => checkTemplate(r, `${at}.requires.${i}`, errors));
  const attest = { ...DEFAULTS.attest, ...d.attest, ...app.attest };
  // SBOM and provenance are attached as signed Sigstore bundles: there is no unsigned form to attach.
  if (attest.sign === false && (attest.sbom || attest.provenance)) {
    errors.push(`${at}.attest.sign: false, but sbom/provenance are on; they are attached as signed bundles (use sign: 'keyless' or { key: 'env:NAME' }, or set sbom: false and provenance: false)`);
  }
  return {
    name,
    upstream: app.upstream,
    requires: app.requires ?? [],
    maxVersions: app.maxVersions ?? d.maxVersions ?? DEFAULTS.maxVersions,
    platforms: app.platforms ?? d.platforms ?? DEFAULTS.platforms,
    ...builderOf(app.builder ?? d.builder),
    floatingTags: app.floatingTags ?? d.floatingTags ?? DEFAULTS.floatingTags,
    attest,
    retention: app.retention !== undefined ? app.retention : (d.retention ?? DEFAULTS.retention),
    images: orderImages(name, images, errors),
  };
}

/** Stable JSON (sorted keys) so the hash does not depend on key order in the file. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hash of a parsed config (env references unresolved). */
export function configHash(cfg: ParsedConfig): string {
  return `sha256:${createHash('sha256').update(canonical(cfg)).digest('hex')}`;
}

// What `mirror init` writes where the user's GitHub owner goes.
const OWNER_PLACEHOLDER = 'OWNER';

/**
 * The registry URL as plan and apply will read it (the same parser), so `validate` refuses what
 * they would refuse; the placeholder `mirror init` writes is named as such.
 */
function checkRegistryUrl(url: string, errors: string[]): void {
  if (url.split('/').includes(OWNER_PLACEHOLDER)) {
    errors.push(`registry.url: replace the placeholder ${OWNER_PLACEHOLDER} in "${url}" with your registry namespace (e.g. your GitHub user or organisation, in lower case)`);
    return;
  }
  try {
    parseRegistryUrl(url);
  } catch (error) {
    if (!(error instanceof AbortError)) throw error;
    errors.push(`${error.message}${error.nextSteps ? ` ${error.nextSteps}` : ''}`); // it starts with `registry.url "…"`
  }
}

/** Turn a parsed config into the model everything else uses. */
export function normalizeConfig(cfg: ParsedConfig, file: string, env: NodeJS.ProcessEnv): NormalizeResult {
  const errors: string[] = [];
  const repositories = new Map<string, string>();
  const apps = Object.entries(cfg.apps).map(([name, app]) => normalizeApp(name, app, cfg, errors, repositories));
  const url = resolveEnv(cfg.registry.url, 'registry.url', env, errors) ?? '';
  const registry = {
    url,
    insecure: cfg.registry.insecure,
    username: resolveEnv(cfg.registry.username, 'registry.username', env, errors, true),
    password: resolveEnv(cfg.registry.password, 'registry.password', env, errors, true),
  };
  if (errors.length === 0) checkRegistryUrl(url, errors);
  if (errors.length > 0) return { errors };
  const statePath = path.resolve(path.dirname(file), cfg.state.path);
  const stateRef = resolveEnv(cfg.state.ref, 'state.ref', env, errors);
  if (errors.length > 0) return { errors };
  const state = { backend: cfg.state.backend, path: statePath, ...(stateRef ? { ref: stateRef } : {}) };
  return { config: { file, hash: configHash(cfg), registry, state, runners: { ...DEFAULT_RUNNERS, ...cfg.runners }, apps }, errors: [] };
}
