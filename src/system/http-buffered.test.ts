/**
 * requestBuffered against a real HTTP server: the whole answer with undici's header shape, the
 * size limit, a body cut off after the headers (BodyBrokeOffError, retried by both clients), and a
 * refused connection (the transport's own error). And getJson's reading of a cut-off body.
 */
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UpstreamError } from '../errors.js';
import { getJson } from '../providers/upstream/http.js';
import { BodyBrokeOffError, bodyText, requestBuffered } from './http-buffered.js';

let server: Server;
let origin: string;
let cutOffs = 0;
let neverAnswered = 0;
const agent = new Agent({ connections: 4 });
const limits = { maxBytes: 1024, tooLarge: () => new Error('too large') };

beforeAll(async () => {
  process.env.MIRROR_RETRY_BASE_MS = '1';
  server = createServer((req, res) => {
    if (req.url === '/two-links') {
      res.setHeader('Link', ['<http://x/?page=2>; rel="next"', '<http://x/?page=9>; rel="last"']);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    } else if (req.url === '/bom') {
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"tag_name":"v1.0.0"}]')]));
    } else if (req.url === '/hints-then-drop') {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      setTimeout(() => res.socket?.destroy(), 20);
    } else if (req.url === '/never') {
      neverAnswered += 1; // holds the request open: only an abort ends it
    } else if (req.url === '/big') {
      res.end(Buffer.alloc(4096, 'a'));
    } else if (req.url === '/cut') {
      cutOffs += 1;
      // Headers promise 1000 bytes; 10 arrive, then the connection drops.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[{"tag_name');
      setTimeout(() => res.socket?.destroy(), 20);
    } else {
      res.writeHead(204).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  delete process.env.MIRROR_RETRY_BASE_MS;
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('requestBuffered', () => {
  it('resolves with the status, lower-case headers (a repeated field as an array) and the whole body', async () => {
    const res = await requestBuffered(agent, { origin, path: '/two-links', method: 'GET' }, limits);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers.link).toEqual(['<http://x/?page=2>; rel="next"', '<http://x/?page=9>; rel="last"']);
    expect(res.body.toString()).toBe('{"ok":true}');
  });

  it('an empty answer has an empty body', async () => {
    const res = await requestBuffered(agent, { origin, path: '/nothing', method: 'HEAD' }, limits);
    expect(res.statusCode).toBe(204);
    expect(res.body.length).toBe(0);
  });

  it('refuses a body over the limit with the caller\'s error, not a transport error', async () => {
    await expect(requestBuffered(agent, { origin, path: '/big', method: 'GET' }, limits)).rejects.toThrow(/^too large$/);
  });

  it('a connection that drops after the headers is a BodyBrokeOffError with a retryable code', async () => {
    const error = await requestBuffered(agent, { origin, path: '/cut', method: 'GET' }, limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyBrokeOffError);
    expect((error as BodyBrokeOffError).code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
  });

  it('an abort ends a request still waiting for its answer, with the signal\'s reason', async () => {
    const abort = new AbortController();
    const pending = requestBuffered(agent, { origin, path: '/never', method: 'GET' }, { ...limits, signal: abort.signal }).catch((e: unknown) => e);
    await expect.poll(() => neverAnswered).toBe(1);
    const started = Date.now();
    abort.abort(new Error('stopped by Ctrl-C'));
    const error = await pending;
    expect((error as Error).message).toBe('stopped by Ctrl-C');
    expect(error).not.toBeInstanceOf(BodyBrokeOffError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('an already aborted signal sends nothing', async () => {
    const abort = new AbortController();
    abort.abort(new Error('already stopped'));
    const before = neverAnswered;
    await expect(requestBuffered(agent, { origin, path: '/never', method: 'GET' }, { ...limits, signal: abort.signal })).rejects.toThrow('already stopped');
    await new Promise((r) => setTimeout(r, 50));
    expect(neverAnswered).toBe(before);
  });

  it('an informational 103 is not the answer: a drop after it is a failed request, not a broken-off body', async () => {
    const error = await requestBuffered(agent, { origin, path: '/hints-then-drop', method: 'GET' }, limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BodyBrokeOffError);
  });

  it('closes a stream body when the exchange fails (refused, or aborted before it is sent): each retry opens a new one', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refusedBody = Readable.from([Buffer.from('layer bytes')]);
    await requestBuffered(agent, { origin: `http://127.0.0.1:${port}`, path: '/', method: 'PUT', body: refusedBody }, limits).catch(() => undefined);
    expect(refusedBody.destroyed).toBe(true);
    const abort = new AbortController();
    abort.abort(new Error('stopped'));
    const abortedBody = Readable.from([Buffer.from('layer bytes')]);
    await requestBuffered(agent, { origin, path: '/never', method: 'PUT', body: abortedBody }, { ...limits, signal: abort.signal }).catch(() => undefined);
    expect(abortedBody.destroyed).toBe(true);
  });

  it('reads text without a leading byte order mark, as undici\'s body.text() did', async () => {
    const res = await requestBuffered(agent, { origin, path: '/bom', method: 'GET' }, limits);
    expect(res.body[0]).toBe(0xef);
    expect(JSON.parse(bodyText(res.body))).toEqual([{ tag_name: 'v1.0.0' }]);
    expect(bodyText(Buffer.from('plain'))).toBe('plain');
  });

  it('a refused connection is the transport\'s own error (nothing arrived)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await requestBuffered(agent, { origin: `http://127.0.0.1:${port}`, path: '/', method: 'GET' }, limits).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(BodyBrokeOffError);
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('getJson on a body cut off on the way', () => {
  it('retries, then names the app and the URL and says the answer broke off', async () => {
    const before = cutOffs;
    const error = await getJson('alpha', `${origin}/cut`, z.array(z.object({ tag_name: z.string() }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(new RegExp(`^Upstream of app "alpha" \\(${origin}/cut\\): broke off while sending its answer \\(.+\\)\\.$`));
    expect(cutOffs - before).toBe(4); // every attempt
  });
});
