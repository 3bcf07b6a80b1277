/**
 * Where registry credentials come from: the config (`env:` references resolved), else the
 * docker config (`auths`, `credHelpers`, `credsStore` through `docker-credential-*`), else none.
 * The source is kept (never the secret) so a 401 can say which credentials were rejected.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Credentials for one registry host, and where they came from. */
export interface Credentials {
  username?: string;
  password?: string;
  /** `config`, `docker config auths`, `docker-credential-pass`, or `anonymous`. */
  source: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

function hostKeys(host: string): string[] {
  const keys = [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
  if (host === 'registry-1.docker.io') keys.push('https://index.docker.io/v1/', 'index.docker.io', 'docker.io');
  return keys;
}

async function fromHelper(helper: string, host: string): Promise<Credentials | undefined> {
  // The helper name comes from a file the user controls; still, it must be a plain name.
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return undefined;
  // execa is imported here, not at the top: a plan that needs no credential helper never loads it (~100 ms).
  const { execa } = await import('execa');
  const result = await execa(`docker-credential-${helper}`, ['get'], { input: host, reject: false, timeout: 15_000 });
  if (result.exitCode !== 0) return undefined;
  try {
    const { Username, Secret } = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
    if (!Secret) return undefined;
    return { username: Username, password: Secret, source: `docker-credential-${helper}` };
  } catch {
    return undefined;
  }
}

/** Resolve credentials for a host. */
export async function resolveCredentials(host: string, explicit: { username?: string; password?: string }, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  if (explicit.username || explicit.password) return { ...explicit, source: 'config' };
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return { source: 'anonymous' };
  }
  const helper = cfg.credHelpers?.[host];
  if (helper) return (await fromHelper(helper, host)) ?? { source: 'anonymous' };
  for (const key of hostKeys(host)) {
    const entry = cfg.auths?.[key];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1), source: 'docker config auths' };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, source: 'docker config auths' };
  }
  if (cfg.credsStore) return (await fromHelper(cfg.credsStore, host)) ?? { source: 'anonymous' };
  return { source: 'anonymous' };
}
