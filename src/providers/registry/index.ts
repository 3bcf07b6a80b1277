/** Choose the registry backend for `registry.url`: the distribution API, or an OCI layout directory. */
import path from 'node:path';
import { envRetryBaseMs } from '../../system/http-common.js';
import { HttpRegistryBackend } from './http-backend.js';
import { OciLayoutBackend } from './oci-layout.js';
import { parseRegistryUrl } from './reference.js';
import type { RegistryBackend } from './types.js';

/** Registry settings as the config resolves them. */
export interface RegistrySettings {
  url: string;
  insecure?: boolean;
  username?: string;
  password?: string;
}

/** MIRROR_UPLOAD_CHUNK_BYTES when a positive integer: blobs above it go in chunks of that size. */
function envChunkBytes(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.MIRROR_UPLOAD_CHUNK_BYTES);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Create the backend; `oci:` paths are relative to `baseDir` (the config's directory). */
export function createRegistryBackend(cfg: RegistrySettings, opts: { env?: NodeJS.ProcessEnv; baseDir?: string; retryBaseMs?: number; retries?: number; chunkBytes?: number } = {}): RegistryBackend {
  const loc = parseRegistryUrl(cfg.url);
  if (loc.kind === 'oci') return new OciLayoutBackend(path.resolve(opts.baseDir ?? process.cwd(), loc.dir), cfg.url);
  return new HttpRegistryBackend({
    url: cfg.url, host: loc.host, namespace: loc.namespace, insecure: cfg.insecure ?? false,
    username: cfg.username, password: cfg.password, env: opts.env, retryBaseMs: opts.retryBaseMs ?? envRetryBaseMs(opts.env), retries: opts.retries,
    chunkBytes: opts.chunkBytes ?? envChunkBytes(opts.env ?? process.env),
  });
}

/**
 * What the tools that reach registry.url besides mirror's own client (buildah, trivy) may use:
 * the host reached without TLS verification (registry.insecure) and the config's credentials
 * (both username and password). Only for an HTTP registry: an `oci:` layout has no host.
 */
export interface RegistryAccess {
  /** registry.url's host[:port] when registry.insecure; otherwise none. */
  insecureHosts: string[];
  /** registry.username/password for registry.url's host, when both are set. */
  credentials?: { host: string; username: string; password: string };
}

/** The registry access of these settings: worked out here once for every tool. */
export function registryAccess(cfg: RegistrySettings): RegistryAccess {
  const loc = parseRegistryUrl(cfg.url);
  if (loc.kind !== 'http') return { insecureHosts: [] };
  const { username, password } = cfg;
  return {
    insecureHosts: cfg.insecure ? [loc.host] : [],
    ...(username && password ? { credentials: { host: loc.host, username, password } } : {}),
  };
}
