/**
 * MIRROR_DEBUG=1: one line on stderr per HTTP request and response of the registry and upstream
 * clients, with every credential redacted: `Authorization`/`Proxy-Authorization` keep only their
 * scheme, cookies and bearer tokens become `***`, and so do `user:pass@` and token query
 * parameters in URLs. Debug output is pasted into bug reports; it must be safe to paste.
 */

import { SECRET_PARAMS, withoutCredentials } from './redact-url.js';

export { SECRET_PARAMS };

/** Response and request headers worth seeing when debugging; the others are left out. */
const SHOWN = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'private-token', 'www-authenticate', 'accept', 'content-type',
  'content-length', 'docker-content-digest', 'location', 'link', 'retry-after', 'x-ratelimit-remaining', 'ratelimit-remaining', 'x-next-page',
]);

/** A URL without credentials: `user:pass@` and secret query parameters replaced by `***` (withoutCredentials, masked). */
export function redactUrl(raw: string): string {
  return withoutCredentials(raw, '***');
}

/** One header value with its secret part replaced. */
export function redactHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  // Stryker disable next-line Regex: only the first word is kept, so one or several spaces after it give the same result
  if (n === 'authorization' || n === 'proxy-authorization') return `${value.split(/\s+/)[0]} ***`;
  if (n === 'cookie' || n === 'set-cookie' || n === 'private-token') return '***';
  // A challenge carries no secret by itself, but some servers put an error token or a URL with one in it.
  if (n === 'www-authenticate') return value.replace(/\b(token|access_token|error_description)="[^"]*"/gi, '$1="***"').replace(/realm="([^"]*)"/i, (_m, r: string) => `realm="${redactUrl(r)}"`);
  if (n === 'location' || n === 'link') return value.replace(/https?:\/\/[^\s<>,;]+/g, (u) => redactUrl(u));
  return value;
}

/** The shown headers, redacted, as `name: value` pairs. */
export function redactHeaders(headers: Record<string, string | string[] | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !SHOWN.has(name.toLowerCase())) continue;
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${name}: ${redactHeader(name, String(v))}`);
  }
  return parts.join('; ');
}

/** Whether MIRROR_DEBUG is on. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.MIRROR_DEBUG === '1';
}

/** Log a request (`status` undefined) or its response, when MIRROR_DEBUG=1. */
export function debugHttp(client: 'registry' | 'upstream', method: string, url: string, status: number | string | undefined, headers: Record<string, string | string[] | undefined> = {}): void {
  if (!debugEnabled()) return;
  const arrow = status === undefined ? '→' : `← ${status}`;
  const shown = redactHeaders(headers);
  process.stderr.write(`mirror-debug ${client} ${arrow} ${method} ${redactUrl(url)}${shown ? ` [${shown}]` : ''}\n`);
}
