/**
 * The one place HTTP dispatchers (undici connection pools) are made, for the registry client,
 * its token realms and blob CDNs, the upstream APIs and the `requires` probes. Each honours
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY as curl and docker do (lower-case forms first, as curl
 * reads them), through undici's EnvHttpProxyAgent. Plain-HTTP targets are forwarded to the proxy
 * as absolute-URI requests and HTTPS targets tunnelled with CONNECT, as curl and Go's transport do.
 *
 * The proxy settings are read from the env the caller passes (the process env unless a service
 * was handed another), never from process.env behind its back, so a test or a library user can
 * run two clients with two settings side by side.
 */
import type { Dispatcher } from 'undici';
import { Agent, EnvHttpProxyAgent } from './undici.js';
import { KEEP_ALIVE_MS, UPSTREAM_CONNECTIONS } from './pools.js';

/** What a dispatcher is made for. */
export interface DispatcherOptions {
  /** Environment the proxy variables are read from. */
  env?: NodeJS.ProcessEnv;
  /** Skip certificate checks of the target (an insecure registry's own host only). */
  insecure?: boolean;
  /** Connections per origin. */
  connections?: number;
  /** Requests sent on one connection before the first is answered (HTTP/1.1 pipelining; 1 = none). */
  pipelining?: number;
  keepAliveTimeout?: number;
}

/** The proxy settings of an env, or undefined when it names no proxy. */
export function proxySettings(env: NodeJS.ProcessEnv): { httpProxy: string; httpsProxy: string; noProxy: string } | undefined {
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY ?? '';
  // curl: https_proxy or HTTPS_PROXY; an HTTP_PROXY alone also carries HTTPS (docker, Go, undici).
  const httpsProxy = env.https_proxy ?? env.HTTPS_PROXY ?? httpProxy;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  return httpProxy || httpsProxy ? { httpProxy, httpsProxy, noProxy } : undefined;
}

/** A dispatcher for the given purpose: direct, or through the env's proxy unless NO_PROXY matches. */
export function createDispatcher(opts: DispatcherOptions = {}): Dispatcher {
  const tls = opts.insecure ? { rejectUnauthorized: false } : undefined;
  const base = {
    keepAliveTimeout: opts.keepAliveTimeout ?? KEEP_ALIVE_MS,
    ...(opts.connections ? { connections: opts.connections } : {}),
    ...(opts.pipelining ? { pipelining: opts.pipelining } : {}),
    ...(tls ? { connect: tls } : {}),
  };
  const proxy = proxySettings(opts.env ?? process.env);
  if (!proxy) return new Agent(base);
  // Explicit values (possibly empty) so undici never falls back to process.env on its own.
  return new EnvHttpProxyAgent({ ...base, ...proxy, proxyTunnel: false, ...(tls ? { requestTls: tls } : {}) });
}

/**
 * A `fetch` that goes through the env's proxy (Node 20's global fetch ignores HTTPS_PROXY), for
 * code that takes a fetch function: the GitHub Actions OIDC token request of keyless signing.
 */
export function proxiedFetch(env: NodeJS.ProcessEnv): typeof fetch {
  const dispatcher = createDispatcher({ env });
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const { fetch: undiciFetch } = await import('undici'); // its index, only when a signature is made
    return undiciFetch(input as never, { ...(init as object), dispatcher });
  }) as unknown as typeof fetch;
}

let shared: Dispatcher | undefined;

/** The process-wide dispatcher of the upstream clients (APIs and `requires` probes), made on first use. */
export function sharedDispatcher(): Dispatcher {
  shared ??= createDispatcher({ connections: UPSTREAM_CONNECTIONS });
  return shared;
}
