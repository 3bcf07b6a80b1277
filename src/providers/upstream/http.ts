/**
 * JSON over HTTP for upstream APIs. Every answer is validated with a zod schema: an HTML error
 * page, a truncated body or a changed shape becomes an UpstreamError naming the app and the URL,
 * never a crash deep in the planner.
 */
import { Agent, request } from 'undici';
import type { z } from 'zod';
import { UpstreamError } from '../../errors.js';

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });

/** A validated JSON answer and its headers. */
export interface JsonAnswer<T> {
  data: T;
  headers: Record<string, string | string[] | undefined>;
}

/** Decides, for a non-2xx answer, which error to throw (rate limits, not found). */
export type StatusHandler = (status: number, headers: Record<string, string | string[] | undefined>) => UpstreamError | undefined;

/** Read one header as a string. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `${where || '(root)'}: ${issue.message}`;
}

/** GET a URL and validate its JSON body. */
export async function getJson<S extends z.ZodType>(
  app: string, url: string, schema: S, opts: { headers?: Record<string, string>; onStatus?: StatusHandler } = {},
): Promise<JsonAnswer<z.output<S>>> {
  let res;
  try {
    res = await request(url, { method: 'GET', headers: { accept: 'application/json', 'user-agent': 'mirror', ...opts.headers }, dispatcher: agent, headersTimeout: 30_000, bodyTimeout: 30_000 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UpstreamError(app, url, `is not reachable (${code}).`, 'Check the URL and the network, then run again.', { cause: error });
  }
  const text = await res.body.text().catch((error: Error) => {
    throw new UpstreamError(app, url, `broke off while sending its answer (${error.message}).`, 'Run again; if it persists the upstream is unwell.');
  });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const specific = opts.onStatus?.(res.statusCode, res.headers);
    if (specific) throw specific;
    throw new UpstreamError(app, url, `answered HTTP ${res.statusCode}.`, 'Check the upstream settings of this app.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const kind = /^\s*</.test(text) ? 'HTML instead of JSON' : text.length === 0 ? 'an empty body' : 'truncated or invalid JSON';
    throw new UpstreamError(app, url, `answered ${kind}.`, 'The upstream API may be down or the URL may be wrong; run again later or check the config.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamError(app, url, `answered JSON of the wrong shape (${describeIssue(parsed.error.issues[0])}).`,
      'The API may have changed, or the URL points at something else; check the upstream settings of this app.');
  }
  return { data: parsed.data, headers: res.headers };
}

/** HEAD a URL following redirects; true on 2xx. Used by `requires` probes. */
export async function probe(url: string, maxRedirects = 5): Promise<{ ok: boolean; status: number | string }> {
  let current = url;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    let res;
    try {
      res = await request(current, { method: 'HEAD', dispatcher: agent, headers: { 'user-agent': 'mirror' }, headersTimeout: 30_000 });
    } catch (error) {
      return { ok: false, status: (error as NodeJS.ErrnoException).code ?? 'unreachable' };
    }
    await res.body.dump();
    const location = header(res.headers, 'location');
    if (res.statusCode >= 300 && res.statusCode < 400 && location) {
      current = new URL(location, current).href;
      continue;
    }
    return { ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode };
  }
  return { ok: false, status: 'too many redirects' };
}
