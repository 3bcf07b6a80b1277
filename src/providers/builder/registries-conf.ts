/**
 * `registry.insecure` for buildah, for the configured registry only. buildah's `--tls-verify=false`
 * is one switch for every registry of the build, so it would also stop verifying the base images a
 * Dockerfile pulls from anywhere else (`FROM ghcr.io/…`). containers/image instead reads per-registry
 * `insecure = true` from registries.conf; buildah takes another file through the
 * `CONTAINERS_REGISTRIES_CONF` environment variable (`--registries-conf` is deprecated).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const SYSTEM_CONF = '/etc/containers/registries.conf';

/** The registries.conf containers/image would read without us: what the generated file starts from. */
export function baseRegistriesConfPath(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string | undefined {
  if (env.CONTAINERS_REGISTRIES_CONF) return env.CONTAINERS_REGISTRIES_CONF;
  const user = path.join(home, '.config', 'containers', 'registries.conf');
  if (existsSync(user)) return user;
  return existsSync(SYSTEM_CONF) ? SYSTEM_CONF : undefined;
}

/** v1 files (`[registries.search]`, `[registries.insecure]`) cannot be mixed with v2 `[[registry]]` tables. */
const V1_TABLE = /^\s*\[registries\.(search|insecure|block)\]/m;

/**
 * The registries.conf for a build: the base file verbatim, then one `[[registry]] insecure = true`
 * per host. Verbatim, not just `unqualified-search-registries`: a CI runner's pull-through mirror
 * for docker.io, blocked registries and credential helpers must keep working when insecure is set.
 * Appending is valid TOML (top-level keys come first; a new `[[registry]]` ends any open table) and
 * containers/image lets the later entry for a location win. Drop-ins in registries.conf.d (Debian's
 * short-name aliases) are still read after this file. A v1 base cannot be mixed with v2 tables, so
 * it is left out (named in a comment): such a host then has no search registries for short names.
 */
export function registriesConf(base: string, hosts: readonly string[], basePath = 'the base registries.conf'): string {
  const head = V1_TABLE.test(base)
    ? `# mirror: ${basePath} is in the v1 format, which cannot be combined with [[registry]] tables; not carried over.\n`
    : base.endsWith('\n') || base === '' ? base : `${base}\n`;
  const entries = hosts.map((host) => `\n# mirror: registry.insecure (Docker's insecure-registries) for ${host} only\n[[registry]]\nlocation = ${JSON.stringify(host)}\ninsecure = true\n`);
  return `${head}${entries.join('')}`;
}

/** Write the registries.conf for `hosts` into `dir`; returns its path, for CONTAINERS_REGISTRIES_CONF. */
export async function writeRegistriesConf(dir: string, hosts: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const basePath = baseRegistriesConfPath(env);
  const base = basePath ? await readFile(basePath, 'utf8') : '';
  const file = path.join(dir, 'registries.conf');
  await writeFile(file, registriesConf(base, hosts, basePath), { mode: 0o600 });
  return file;
}
