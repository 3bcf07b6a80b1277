/** Where mirror keeps what it can always rebuild (safe to delete): `$XDG_CACHE_HOME/mirror`, else `.mirror/cache` beside the config. */
import path from 'node:path';

/** The cache root for a config in `baseDir`. */
export function mirrorCacheDir(env: NodeJS.ProcessEnv, baseDir: string): string {
  return env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
    ? path.join(env.XDG_CACHE_HOME, 'mirror')
    : path.join(baseDir, '.mirror', 'cache');
}
