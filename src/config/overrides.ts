/**
 * Config overrides from the environment, for exactly the inputs the old pipeline's
 * workflow_dispatch had (REGISTRY, NAMESPACE, MULTI_ARCH, MAX_VERSIONS) plus the platform list.
 * They apply to the raw config before validation, so they are validated like the file and
 * change the config hash (a plan made with MIRROR_MAX_VERSIONS=3 is stale without it).
 * An override wins over per-app values too: "build the last 3" means every app.
 */
import { ConfigError } from '../errors.js';
import { PlatformSchema } from './schema.js';

/** The variables read, documented in the README. */
export const OVERRIDE_VARIABLES = ['MIRROR_REGISTRY', 'MIRROR_NAMESPACE', 'MIRROR_MAX_VERSIONS', 'MIRROR_PLATFORMS', 'MIRROR_MULTI_ARCH'] as const;

type Raw = Record<string, any>;

/** Split `host[:port]/namespace` (a registry URL without scheme) into host and namespace. */
function splitUrl(url: string): { host: string; namespace: string } {
  const slash = url.indexOf('/');
  return slash < 0 ? { host: url, namespace: '' } : { host: url.slice(0, slash), namespace: url.slice(slash + 1) };
}

/** The config value with environment overrides applied (a copy; the input is untouched). */
export function applyEnvOverrides(value: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  const set = (name: string) => (env[name] !== undefined && env[name] !== '' ? (env[name] as string) : undefined);
  if (!OVERRIDE_VARIABLES.some((n) => set(n) !== undefined) || !value || typeof value !== 'object') return value;
  const cfg = structuredClone(value) as Raw;
  cfg.registry = { ...(cfg.registry ?? {}) };
  if (set('MIRROR_REGISTRY')) {
    const given = splitUrl(set('MIRROR_REGISTRY') as string);
    cfg.registry.url = given.namespace ? `${given.host}/${given.namespace}` : `${given.host}/${splitUrl(String(cfg.registry.url ?? '')).namespace}`.replace(/\/$/, '');
  }
  if (set('MIRROR_NAMESPACE')) cfg.registry.url = `${splitUrl(String(cfg.registry.url ?? '')).host}/${set('MIRROR_NAMESPACE')}`;

  const perApp: Raw = {};
  if (set('MIRROR_MAX_VERSIONS')) {
    const n = Number(set('MIRROR_MAX_VERSIONS'));
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(file, [`MIRROR_MAX_VERSIONS: expected a whole number ≥ 1, got "${set('MIRROR_MAX_VERSIONS')}"`]);
    perApp.maxVersions = n;
  }
  if (set('MIRROR_PLATFORMS')) {
    perApp.platforms = (set('MIRROR_PLATFORMS') as string).split(',').map((p) => p.trim()).filter(Boolean);
    const bad = (perApp.platforms as string[]).find((p) => !PlatformSchema.safeParse(p).success);
    if (bad !== undefined) throw new ConfigError(file, [`MIRROR_PLATFORMS: "${bad}" is not os/arch[/variant], e.g. linux/arm64`]);
  } else if (set('MIRROR_MULTI_ARCH')) {
    const v = (set('MIRROR_MULTI_ARCH') as string).toLowerCase();
    if (!['true', 'false'].includes(v)) throw new ConfigError(file, [`MIRROR_MULTI_ARCH: expected true or false, got "${set('MIRROR_MULTI_ARCH')}"`]);
    if (v === 'false') perApp.platforms = ['linux/amd64'];
  }
  if (Object.keys(perApp).length > 0) {
    cfg.defaults = { ...(cfg.defaults ?? {}), ...perApp };
    cfg.apps = Object.fromEntries(Object.entries((cfg.apps ?? {}) as Raw).map(([name, app]) => [name, app && typeof app === 'object' ? { ...app, ...perApp } : app]));
  }
  return cfg;
}

/** Which config paths each override writes (`*` = any app name). */
const WRITES: Record<(typeof OVERRIDE_VARIABLES)[number], RegExp> = {
  MIRROR_REGISTRY: /^registry\.url$/,
  MIRROR_NAMESPACE: /^registry\.url$/,
  MIRROR_MAX_VERSIONS: /^(defaults|apps\.[^.]+)\.maxVersions(\.|$)/,
  MIRROR_PLATFORMS: /^(defaults|apps\.[^.]+)\.platforms(\.|$)/,
  MIRROR_MULTI_ARCH: /^(defaults|apps\.[^.]+)\.platforms(\.|$)/,
};

/**
 * Config issues (`path: message`) caused by an environment override, said in terms of the
 * variable the user set (`MIRROR_MAX_VERSIONS=1000000: Too big…`) instead of config paths they
 * never wrote; one line per variable and message. Other issues pass unchanged.
 */
export function attributeToOverrides(issues: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const set = OVERRIDE_VARIABLES.filter((n) => env[n] !== undefined && env[n] !== '');
  // MIRROR_PLATFORMS wins over MIRROR_MULTI_ARCH (see applyEnvOverrides): blame the one that applied.
  const active = set.includes('MIRROR_PLATFORMS') ? set.filter((n) => n !== 'MIRROR_MULTI_ARCH') : set;
  const out: string[] = [];
  for (const issue of issues) {
    // Issues start with the config path (`defaults.maxVersions: …`, `registry.url "…" is not …`).
    const where = /^[\w.-]+/.exec(issue)?.[0] ?? '';
    const culprits = active.filter((n) => WRITES[n].test(where));
    const line = culprits.length > 0 ? `${culprits.map((n) => `${n}=${env[n]}`).join(', ')}: ${issue.slice(where.length).replace(/^:?\s*/, '')}` : issue;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}
