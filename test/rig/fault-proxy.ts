/**
 * A fault-injecting HTTP proxy for the test rig: it sits in front of the real registry or the
 * upstream emulator and, at a configured rate or on chosen request numbers, answers 500/502/503,
 * 429 with Retry-After, resets the connection mid-body, cuts the body in half (with a matching
 * Content-Length, so only content checks notice), or delays the answer.
 * Faults are drawn from a seeded generator so a failing run can be replayed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What can go wrong. */
export type FaultKind = '500' | '502' | '503' | '429' | 'reset' | 'truncate' | 'delay';

/** Which requests fail, and how. */
export interface FaultSettings {
  kind: FaultKind;
  /** Probability per request (0..1). */
  rate?: number;
  /** 1-based request numbers (counted from this setting) that fail. */
  nth?: number[];
  /** Only requests this returns true for are eligible (e.g. only manifest PUTs). */
  match?: (method: string, url: string) => boolean;
  /** For `delay` (default 300 ms). */
  delayMs?: number;
  /** Seed of the generator (default 1). */
  seed?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  set(settings: FaultSettings | undefined): void;
  /** Requests seen and faults injected since the last set(). */
  counts(): { requests: number; faults: number };
  stop(): Promise<void>;
}

/** mulberry32: small, seeded, good enough to spread faults. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a proxy that forwards to `target` (`http://host:port`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let settings: FaultSettings | undefined;
  let random = generator(1);
  let seen = 0;
  let faults = 0;
  let self = '';

  // Absolute URLs the target sends back (Link pagination, upload Location) must come back through us.
  const rewrite = (value: string | string[] | undefined) => {
    if (value === undefined) return value;
    const fix = (v: string) => v.split(upstream.origin).join(self);
    return Array.isArray(value) ? value.map(fix) : fix(value);
  };

  const forward = (req: IncomingMessage, body: Buffer, onAnswer: (status: number, headers: Record<string, string | string[] | undefined>, data: Buffer) => void, onError: (e: Error) => void) => {
    const out = httpRequest({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: upstream.host },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => onAnswer(res.statusCode ?? 502, res.headers, Buffer.concat(chunks)));
      res.on('error', onError);
    });
    out.on('error', onError);
    out.end(body);
  };

  const decide = (req: IncomingMessage): FaultKind | undefined => {
    if (!settings) return undefined;
    if (settings.match && !settings.match(req.method ?? 'GET', req.url ?? '/')) return undefined;
    seen += 1;
    const hit = settings.nth ? settings.nth.includes(seen) : random() < (settings.rate ?? 0);
    if (hit) faults += 1;
    return hit ? settings.kind : undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fault = decide(req);
    if (fault === '500' || fault === '502' || fault === '503') {
      res.writeHead(Number(fault), { 'content-type': 'text/html' });
      res.end(`<html><body><h1>${fault} injected</h1></body></html>`);
      return;
    }
    if (fault === '429') {
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}');
      return;
    }
    if (fault === 'delay') await sleep(settings?.delayMs ?? 300);
    forward(req, Buffer.concat(chunks), (status, headers, data) => {
      const h: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries({ ...headers, link: rewrite(headers.link), location: rewrite(headers.location) })) if (v !== undefined) h[k] = v;
      if (fault === 'reset') {
        // Promise the whole body, send half, then kill the socket: a connection reset mid-body.
        res.writeHead(status, { ...h, 'content-length': String(data.length), connection: 'close' });
        res.write(data.subarray(0, Math.floor(data.length / 2)));
        res.socket?.resetAndDestroy();
        return;
      }
      if (fault === 'truncate') {
        // A well-formed answer whose body is cut in half (a proxy that cut it): only content checks catch it.
        const half = data.subarray(0, Math.floor(data.length / 2));
        res.writeHead(status, { ...h, 'content-length': String(half.length) });
        res.end(half);
        return;
      }
      res.writeHead(status, h);
      res.end(data);
    }, () => {
      res.writeHead(502);
      res.end();
    });
  };

  const server = createServer((req, res) => { handle(req, res).catch(() => res.destroy()); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  self = `http://127.0.0.1:${port}`;
  return {
    url: self,
    host: `127.0.0.1:${port}`,
    set(next) {
      settings = next;
      random = generator(next?.seed ?? 1);
      seen = 0;
      faults = 0;
    },
    counts: () => ({ requests: seen, faults }),
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
