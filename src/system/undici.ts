/**
 * The two undici classes mirror uses, loaded without undici's index. The index also loads fetch,
 * WebSocket, EventSource, cookies, caches and the mock agents: ~60 ms of CPU on every start of
 * every command, against ~20 ms for the dispatchers alone (bench/plan, issue 16). undici has no
 * `exports` map, so these files are its public CommonJS modules; a test (undici.test.ts) checks
 * they are the classes the index exports, so an upgrade that moves them fails there, not in use.
 * `fetch` (keyless signing only) is loaded from the index when it is first needed.
 */
import type * as Undici from 'undici';
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

// What undici's index does first: its request/connect/stream methods on every dispatcher (the
// proxy agent opens its CONNECT tunnel with dispatcher.connect).
Object.assign((load('undici/lib/dispatcher/dispatcher.js') as { prototype: object }).prototype, load('undici/lib/api/index.js'));

export const Agent = load('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export const EnvHttpProxyAgent = load('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof Undici.EnvHttpProxyAgent;
