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

/** Options of one exchange. */
export interface BufferedOptions {
  /** Largest body accepted; a longer one aborts the exchange with `tooLarge()`. */
  maxBytes: number;
  tooLarge: () => Error;
}

/**
 * Send `opts` through `dispatcher` and resolve with the whole answer. Rejects with the transport's
 * error before the headers, with a BodyBrokeOffError after them, or with `tooLarge()`.
 */
export function requestBuffered(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, limits: BufferedOptions): Promise<BufferedAnswer> {
  return new Promise<BufferedAnswer>((resolve, reject) => {
    let statusCode = 0;
    let headers: AnswerHeaders = {};
    let started = false;
    let settled = false;
    let size = 0;
    const chunks: Buffer[] = [];
    let tooLargeError: Error | undefined;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(started && error !== tooLargeError ? new BodyBrokeOffError(error) : error);
    };
    const handler: Dispatcher.DispatchHandler = {
      // Its presence is what marks the handler as undici 7's controller API to every dispatcher.
      onRequestStart() {},
      onResponseStart(_controller, status, fields) {
        started = true;
        statusCode = status;
        headers = fields as AnswerHeaders;
      },
      onResponseData(controller, chunk) {
        size += chunk.length;
        if (size > limits.maxBytes) {
          tooLargeError = limits.tooLarge();
          fail(tooLargeError);
          controller.abort(tooLargeError);
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        if (settled) return;
        settled = true;
        resolve({ statusCode, headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
      },
      onResponseError(_controller, error) {
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
