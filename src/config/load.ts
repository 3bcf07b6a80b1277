/**
 * Find, import and validate the config: parse → normalize → ResolvedConfig or ConfigError.
 * TypeScript configs go through jiti (sucrase, else Babel), imported only then so JSON/JS configs
 * cost nothing extra. The transpile cache lives under mirror's cache directory (system/cache-dir.ts), safe to delete.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AbortError, ConfigError } from '../errors.js';
import { mirrorCacheDir } from '../system/cache-dir.js';
import { issuePath } from '../system/issue-path.js';
import { ConfigSchema } from './schema.js';
import { normalizeConfig } from './normalize.js';
import { applyEnvOverrides, attributeToOverrides } from './overrides.js';
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

/** `line:column` (1-based) of a character offset in `text`. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/**
 * Import a TypeScript config with jiti (its resolution of relative .ts imports and packages).
 * jiti transpiles with Babel, which costs ~300 ms of CPU to load and warm up on every plan
 * without a cache (a fresh CI runner): a fifth of a cron plan. sucrase strips the types and turns
 * the imports into requires in ~100 ms, and reads every config that is plain TypeScript. What
 * sucrase cannot transpile (import.meta, a syntax error) or jiti's require cannot load (an ESM-only
 * package, top-level await) is loaded again with Babel, whose errors (with file:line:column) are
 * the ones a user sees; such failures come before the config's own statements run. An error the
 * config throws itself is reported as it is, never retried: its top level runs once.
 * Each transpiler keeps its output (keyed by the file's content) in its own folder of mirror's
 * cache, so a cache hit loads neither and one's output is never read by the other's retry.
 */
async function importTs(file: string, env: NodeJS.ProcessEnv, cache = true): Promise<unknown> {
  const { createJiti } = await import('jiti');
  const cacheRoot = cache ? path.join(mirrorCacheDir(env, path.dirname(file)), 'config') : undefined;
  let untranspiled = false; // sucrase refused the source (or a module it imports)
  const fast = createJiti(import.meta.url, {
    moduleCache: false,
    fsCache: cacheRoot ? path.join(cacheRoot, 'sucrase') : false,
    transform: (opts) => {
      try {
        // sucrase leaves import.meta as it is, and jiti would then run the module from a data:
        // URL, where import.meta.url no longer names the file: such a config goes to Babel.
        if (/\bimport\s*\.\s*meta\b/.test(opts.source)) throw new Error('import.meta: transpiled by Babel');
        // Required here, on a cache miss only (jiti's transform is synchronous).
        const { transform } = createRequire(import.meta.url)('sucrase') as typeof import('sucrase');
        return { code: transform(opts.source, { transforms: opts.ts ? ['typescript', 'imports'] : ['imports'], filePath: opts.filename }).code };
      } catch (error) {
        untranspiled = true;
        throw error;
      }
    },
  });
  try {
    return await fast.import(file, { default: true });
  } catch (error) {
    if (!untranspiled && !cannotLoad(error)) throw error;
    const babel = createJiti(import.meta.url, { moduleCache: false, fsCache: cacheRoot ?? false });
    return babel.import(file, { default: true });
  }
}

/** Module-loading failures of jiti's require (the code did not run), as opposed to an error the config threw. */
const LOAD_CODES = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE', 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'ERR_UNSUPPORTED_DIR_IMPORT', 'ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);
function cannotLoad(error: unknown): boolean {
  return error instanceof SyntaxError || LOAD_CODES.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * A syntax error said as `syntax error at FILE:LINE:COLUMN: reason` (what editors and terminals
 * turn into a link). JSON.parse gives an offset; jiti names `file:line:column` on a later line of
 * its message; Node's own ESM loader gives no position, so a .js/.mjs syntax error is located by
 * parsing the file again with jiti.
 */
async function syntaxIssue(file: string, ext: string, error: unknown, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.split('\n')[0].replace(/^(ParseError|SyntaxError): /, '').replace(/ in JSON at position \d+.*$/, '').trim();
  if (ext === '.json') {
    const at = / at position (\d+)/.exec(message);
    return at ? `syntax error at ${file}:${lineColumn(await readFile(file, 'utf8'), Number(at[1]))}: ${reason}` : undefined;
  }
  const where = (text: string) => new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(text);
  let located = where(message);
  if (!located && error instanceof SyntaxError && (ext === '.js' || ext === '.mjs')) {
    located = await importTs(file, env, false).then(() => null, (again: unknown) => where(again instanceof Error ? again.message : String(again)));
  }
  return located ? `syntax error at ${file}:${located[1]}:${located[2]}: ${reason}` : undefined;
}

async function importConfig(file: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const ext = path.extname(file);
  try {
    if (ext === '.json') return JSON.parse(await readFile(file, 'utf8'));
    if (ext === '.js' || ext === '.mjs') return ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    if (ext === '.ts' || ext === '.mts') return await importTs(file, env);
  } catch (error) {
    const syntax = await syntaxIssue(file, ext, error, env);
    if (syntax) throw new ConfigError(file, [syntax]);
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
  if (!parsed.success) throw new ConfigError(file, attributeToOverrides(parsed.error.issues.map(formatIssue), env));
  const result = normalizeConfig(parsed.data, file, env);
  if (!result.config) throw new ConfigError(file, attributeToOverrides(result.errors, env));
  return result.config;
}

/** Load and validate the config for a command. */
export async function loadConfig(opts: { cwd: string; config?: string; env?: NodeJS.ProcessEnv }): Promise<ResolvedConfig> {
  const file = findConfig(opts.cwd, opts.config);
  const env = opts.env ?? process.env;
  return resolveConfig(applyEnvOverrides(await importConfig(file, env), env, file), file, env);
}
