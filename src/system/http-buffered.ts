/**
 * One HTTP exchange whose answer is read whole into memory: API pages, manifests, HEADs, tokens —
 * every answer the registry and upstream clients keep as bytes (blob downloads stream elsewhere).
 *
 * It drives undici's dispatcher with a handler that collects the body chunks directly. undici's
 * `request()` wraps each answer in a Readable stream, an AsyncResource and an async iterator the
 * caller then drains; a plan sends ~2,000 such requests, and that wrapping was a fifth of their
 * CPU (bench/plan, issue 16).
 */
import type { Dispatcher } from 'undici';

/** Headers as undici gives them: lower-case names, repeated fields as arrays. */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** A complete answer. */
export interface BufferedAnswer {
  statusCode: number;
  headers: AnswerHeaders;
  body: Buffer;
}

/** The connection broke after the answer's headers arrived (a body cut off on the way). */
export class BodyBrokeOffError extends Error {
  readonly code: string;
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'BodyBrokeOffError';
    // Callers decide on retries by the transport's error code (ECONNRESET, UND_ERR_SOCKET, …).
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'UND_ERR_SOCKET';
  }
}

/** Origin and path (with query) of a URL, as a dispatcher takes them. */
export function dispatchTarget(url: string | URL): { origin: string; path: string } {
  const u = typeof url === 'string' ? new URL(url) : url;
  return { origin: u.origin, path: u.pathname + u.search };
}

/** A body as text: UTF-8 without a leading byte order mark (as undici's body.text() and fetch read it). */
export function bodyText(body: Buffer): string {
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Limits of one exchange. */
export interface BufferedOptions {
  /** Largest body accepted; a longer one aborts the exchange with `tooLarge()`. */
  maxBytes: number;
  tooLarge: () => Error;
  /** Aborts the exchange (Ctrl-C); it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Send `opts` through `dispatcher` and resolve with the whole answer. Rejects with the transport's
 * error before the headers, with a BodyBrokeOffError after them, with `tooLarge()`, or with the
 * signal's reason once it aborts.
 */
export function requestBuffered(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, limits: BufferedOptions): Promise<BufferedAnswer> {
  const { signal } = limits;
  // A stream body (a blob read from disk) is ours to close when the exchange fails, as undici's
  // request() does: the dispatcher does not, and each retry opens a new one.
  const closeBody = () => {
    const body = opts.body as { destroy?: () => void; destroyed?: boolean } | undefined;
    if (body && typeof body.destroy === 'function' && !body.destroyed) body.destroy();
  };
  if (signal?.aborted) {
    closeBody();
    return Promise.reject(signal.reason);
  }
  return new Promise<BufferedAnswer>((resolve, reject) => {
    let statusCode = 0;
    let headers: AnswerHeaders = {};
    let started = false;
    let settled = false;
    let size = 0;
    let controller: Dispatcher.DispatchController | undefined;
    const chunks: Buffer[] = [];
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      done();
    };
    // Our own verdicts (too large, aborted) as they are; the transport's, after the headers, as a broken-off body.
    const fail = (error: unknown, ours = false) => settle(() => {
      closeBody();
      reject(started && !ours ? new BodyBrokeOffError(error) : error);
    });
    function onAbort() {
      fail(signal?.reason, true);
      controller?.abort(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      // Its presence is what marks the handler as undici 7's controller API to every dispatcher.
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(signal?.reason);
      },
      onResponseStart(_c, status, fields) {
        if (status < 200) return; // 1xx (103 Early Hints…): the answer is still to come
        started = true;
        statusCode = status;
        headers = fields as AnswerHeaders;
      },
      onResponseData(c, chunk) {
        size += chunk.length;
        if (size > limits.maxBytes) {
          const error = limits.tooLarge();
          fail(error, true);
          c.abort(error);
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        settle(() => resolve({ statusCode, headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
      },
      onResponseError(_c, error) {
        fail(error);
      },
    };
    try {
      dispatcher.dispatch(opts, handler);
    } catch (error) {
      fail(error);
    }
  });
}
