/**
 * How much runs at once, in one place. A plan over a real network is bound by round trips, not
 * by CPU: every app's upstream and registry work starts at once and waits only on these pools.
 *
 * HTTP/1.1 carries one request per connection at a time, so a pool of N connections to a host
 * finishes R requests in about R/N round trips. GitHub allows at most 100 concurrent requests per
 * token ("secondary rate limits"), so the upstream pool stays below that.
 */

/** Connections per registry host. */
export const REGISTRY_CONNECTIONS = 64;

/**
 * HEADs sent on one registry connection before the first is answered (HTTP/1.1 pipelining, RFC
 * 9112 §9.3.2: a server answers pipelined requests in order). A plan's drift check is ~6 HEADs per
 * repository, so at 40 ms a round trip 1,400 requests over 64 connections were ~22 round trips;
 * pipelined, the registry's own speed is the limit (bench/plan: warm plan 1.64–1.83 s → 1.38 s).
 * The registry client lets this many HEADs per connection be in flight, other requests one per
 * connection. undici fills a connection's pipeline only once every connection is busy, and only
 * with requests it may send again on a new connection when one breaks (GET and HEAD; nothing goes
 * behind a GET until its headers are in); a PUT, PATCH, POST or DELETE, or a streamed body, waits
 * for everything before it. A GET sent again counts again where a registry counts pulls (Docker
 * Hub), which happens only when a connection breaks with it in the pipeline.
 */
export const REGISTRY_PIPELINING = 8;

/** Connections per upstream API origin (GitHub, GitLab, `requires` file hosts). */
export const UPSTREAM_CONNECTIONS = 64;

/** `requires` probes in flight per app window. */
export const PROBES_PER_APP = 8;

/** `git ls-remote` processes at once (each is a child process, not a socket). */
export const GIT_PROCESSES = 8;

/** Idle keep-alive before a pooled connection is closed: one plan reuses its connections throughout. */
export const KEEP_ALIVE_MS = 10_000;

/**
 * undici closes the connection after every HEAD (nodejs/undici#258: some servers send a body with
 * it), so each manifest HEAD of a plan paid a new TCP (and TLS) handshake. Registries answer HEAD
 * as the distribution spec says, without a body; a registry that did not would garble the next
 * answer on that connection, which the transport retries as a reset.
 */
export const KEEP_ALIVE_AFTER_HEAD = { reset: false } as const;
