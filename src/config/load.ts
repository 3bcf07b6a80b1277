/**
 * Find, import and validate the config: parse → normalize → ResolvedConfig or ConfigError.
 * TypeScript configs go through jiti, imported only then so JSON/JS configs cost nothing extra.
 * Its transpile cache lives under mirror's cache directory (system/cache-dir.ts), safe to delete.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AbortError, ConfigError } from '../errors.js';
import { mirrorCacheDir } from '../system/cache-dir.js';
import { issuePath } from '../system/issue-path.js';
import { ConfigSchema } from './schema.js';
import { normalizeConfig } from './normalize.js';
import { applyEnvOverrides } from './overrides.js';
import type { ResolvedConfig } from './model.js';

/** File names tried in the working directory, in order. */
export const CONFIG_NAMES = ['mirror.config.ts', 'mirror.config.mts', 'mirror.config.js', 'mirror.config.mjs', 'mirror.config.json'];

/** Locate the config: `--config FILE`, else the first of CONFIG_NAMES in cwd. */
export function findConfig(cwd: string, explicit?: string): string {
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new AbortError(`Config file ${file} does not exist.`, 'Pass an existing file to --config.');
    return file;
  }
  for (const name of CONFIG_NAMES) {
    const file = path.join(cwd, name);
    if (existsSync(file)) return file;
  }
  throw new AbortError(`No mirror config found in ${cwd} (looked for ${CONFIG_NAMES.join(', ')}).`, 'Run `mirror init` to scaffold one, or pass --config FILE.');
}

async function importConfig(file: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const ext = path.extname(file);
  try {
    if (ext === '.json') return JSON.parse(await readFile(file, 'utf8'));
    if (ext === '.js' || ext === '.mjs') return ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    if (ext === '.ts' || ext === '.mts') {
      const { createJiti } = await import('jiti');
      // jiti keeps the transpiled config (keyed by its content) in mirror's cache: transpiling
      // loads Babel, a third of a plan's CPU time; a cache hit skips it.
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: path.join(mirrorCacheDir(env, path.dirname(file)), 'config') });
      return await jiti.import(file, { default: true });
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(file, [`cannot be loaded: ${reason}`]);
  }
  throw new ConfigError(file, [`unsupported extension "${ext}" (use .ts, .mts, .js, .mjs or .json)`]);
}

/** zod issue → `apps.alpha.upstream.repository: Required`. */
function formatIssue(issue: { path: PropertyKey[]; message: string; code?: string }): string {
  const where = issuePath(issue.path);
  const message = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'Required' : issue.message;
  return `${where}: ${message}`;
}

/** Validate an already-imported config value. */
export function resolveConfig(value: unknown, file: string, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const parsed = ConfigSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map(formatIssue));
  const result = normalizeConfig(parsed.data, file, env);
  if (!result.config) throw new ConfigError(file, result.errors);
  return result.config;
}

/** Load and validate the config for a command. */
export async function loadConfig(opts: { cwd: string; config?: string; env?: NodeJS.ProcessEnv }): Promise<ResolvedConfig> {
  const file = findConfig(opts.cwd, opts.config);
  const env = opts.env ?? process.env;
  return resolveConfig(applyEnvOverrides(await importConfig(file, env), env, file), file, env);
}
