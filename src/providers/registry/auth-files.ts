/**
 * The credential files docker, crane, skopeo, buildah and podman read, in the order SPEC §6b
 * gives (containers-auth.json(5) first, then the docker CLI config), and how a registry host
 * is looked up in one of them. Docker Hub is stored under `https://index.docker.io/v1/` by
 * `docker login` (docker/cli config/credentials: IndexServer), whatever name the image used.
 */
import os from 'node:os';
import path from 'node:path';

/** One candidate file and how an error names it. */
export interface AuthFileLocation {
  file: string;
  /** `REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`, `docker config`, … */
  label: string;
}

/** The shape shared by containers auth.json and docker config.json. */
export interface AuthFileContent {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string } | undefined>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The key `docker login` uses for Docker Hub, also for its helpers. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** Whether a host is Docker Hub under one of its names. */
export function isDockerHub(host: string): boolean {
  return HUB_HOSTS.has(host.toLowerCase());
}

/** Where to look, in order; files whose variable is unset are left out. */
export function authFileLocations(env: NodeJS.ProcessEnv): AuthFileLocation[] {
  const home = env.HOME ?? os.homedir();
  const out: AuthFileLocation[] = [];
  if (env.REGISTRY_AUTH_FILE) out.push({ file: env.REGISTRY_AUTH_FILE, label: 'REGISTRY_AUTH_FILE' });
  if (env.XDG_RUNTIME_DIR) out.push({ file: path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'), label: '$XDG_RUNTIME_DIR/containers/auth.json' });
  out.push({ file: path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'containers', 'auth.json'), label: 'containers auth.json' });
  out.push(env.DOCKER_CONFIG
    ? { file: path.join(env.DOCKER_CONFIG, 'config.json'), label: '$DOCKER_CONFIG/config.json' }
    : { file: path.join(home, '.docker', 'config.json'), label: '~/.docker/config.json' });
  return out;
}

/** The key a credential helper is asked for (`docker-credential-X get` reads it on stdin). */
export function helperKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_KEY : host;
}

/**
 * A file key reduced to what it names: docker keys may carry a scheme and a path
 * (`https://index.docker.io/v1/`), containers keys may name a namespace (`quay.io/org`).
 */
function normaliseKey(key: string): string {
  const schemed = /^https?:\/\//i.test(key);
  let rest = key.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  // A docker key with a scheme names a host (`https://host/v1/`); a bare key may name a namespace.
  if (schemed) rest = rest.split('/')[0];
  const [first, ...tail] = rest.split('/');
  const host = isDockerHub(first) ? 'docker.io' : first.toLowerCase();
  return [host, ...tail].join('/');
}

/**
 * The `auths` entry for a repository: the most specific key that covers `host/repository`
 * (containers-auth.json: "the most specific match wins"), else the host's own entry.
 */
export function findAuthEntry(content: AuthFileContent, host: string, repository = ''): { key: string; entry: NonNullable<NonNullable<AuthFileContent['auths']>[string]> } | undefined {
  const target = `${isDockerHub(host) ? 'docker.io' : host.toLowerCase()}${repository ? `/${repository}` : ''}`;
  let best: { key: string; length: number } | undefined;
  for (const key of Object.keys(content.auths ?? {})) {
    const norm = normaliseKey(key);
    if (target !== norm && !target.startsWith(`${norm}/`)) continue;
    if (!best || norm.length > best.length) best = { key, length: norm.length };
  }
  const entry = best && content.auths?.[best.key];
  return best && entry ? { key: best.key, entry } : undefined;
}

/** The helper `credHelpers` names for a host (keys compared as docker does, scheme and path aside). */
export function findHelper(content: AuthFileContent, host: string): string | undefined {
  const target = isDockerHub(host) ? 'docker.io' : host.toLowerCase();
  for (const [key, helper] of Object.entries(content.credHelpers ?? {})) {
    if (normaliseKey(key).split('/')[0] === target) return helper;
  }
  return undefined;
}
