/**
 * Blob uploads from a file, streamed (never a whole layer in memory), as the OCI distribution
 * spec describes them (spec.md "Pushing blobs"):
 *  - monolithic: `PUT <location>?digest=…` with the whole blob as the body, for blobs up to the
 *    chunk size;
 *  - chunked: `PATCH <location>` with `Content-Range: start-end` per chunk, each answer giving the
 *    next `Location` and the `Range` the registry holds, then `PUT <location>?digest=…` with no
 *    body. Chunks are at least the registry's `OCI-Chunk-Min-Length`. A chunk that fails (a reset,
 *    a 5xx, 416) is not blindly sent again: the upload's status (`GET <location>` → 204 with
 *    `Range`) says where to resume, as the spec's "resume" section asks.
 * The registry checks the digest on the closing PUT, so the file is not hashed here.
 */
import { createReadStream } from 'node:fs';
import { headerOf } from '../../system/http-common.js';
import { RegistryError } from './errors.js';
import type { RegistryHttp, RegistryResponse } from './http.js';

/** A blob on disk. */
export interface BlobFile {
  digest: string;
  size: number;
  file: string;
}

/** Where an upload goes and how. */
export interface UploadTarget {
  http: RegistryHttp;
  host: string;
  repository: string;
  /** For messages: `host/ns/app@sha256:…`. */
  reference: string;
  /** Blobs larger than this go in chunks of this size (at least the registry's minimum). */
  chunkBytes: number;
  /** Ctrl-C: the request in flight is aborted and no chunk or resume follows. */
  signal?: AbortSignal;
}

/** Default chunk size: large enough that a layer is a few requests, small enough to resume cheaply. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
const RESUMES = 5;
/** Generous: the answer to a large PUT comes only after every byte went out. */
const UPLOAD_HEADERS_TIMEOUT_MS = 15 * 60_000;

/** The session URL for the next request: relative path kept relative, absolute URL kept whole. */
function sessionPath(location: string, digest?: string): string {
  const absolute = /^https?:\/\//.test(location);
  const url = new URL(location, 'http://relative.invalid');
  if (digest) url.searchParams.set('digest', digest);
  return absolute ? url.href : url.pathname + url.search;
}

/** The end offset (inclusive) of a `Range: 0-N` header, or undefined. */
export function rangeEnd(value: string | undefined): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(value?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

function failed(t: UploadTarget, res: RegistryResponse, what: string): RegistryError {
  return new RegistryError(t.reference, `Registry ${t.host} answered HTTP ${res.status} to ${what} of ${t.reference}.`, undefined, res.status);
}

/** Upload `blob` into the session at `location` (from the POST that started it); `minChunk` from OCI-Chunk-Min-Length. */
export async function uploadBlobFile(t: UploadTarget, blob: BlobFile, location: string, minChunk = 0): Promise<void> {
  const base = { repository: t.repository, reference: t.reference, headersTimeoutMs: UPLOAD_HEADERS_TIMEOUT_MS, signal: t.signal };
  if (blob.size <= t.chunkBytes) {
    const put = await t.http.send({
      ...base, method: 'PUT', path: sessionPath(location, blob.digest), kind: 'blob:PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: () => createReadStream(blob.file),
    });
    if (put.status !== 201) throw failed(t, put, 'the upload');
    t.http.countBytes(blob.size);
    return;
  }
  const chunk = Math.max(t.chunkBytes, minChunk);
  let offset = 0;
  let resumes = 0;
  while (offset < blob.size) {
    t.signal?.throwIfAborted();
    const end = Math.min(offset + chunk, blob.size) - 1;
    const from = offset;
    let res: RegistryResponse | undefined;
    try {
      res = await t.http.send({
        ...base, method: 'PATCH', path: sessionPath(location), kind: 'blob:PATCH', noRetry: true,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${from}-${end}`, 'content-length': String(end - from + 1) },
        body: () => createReadStream(blob.file, { start: from, end }),
      });
    } catch (error) {
      if (resumes >= RESUMES || t.signal?.aborted) throw error;
    }
    if (res?.status === 202) {
      location = headerOf(res.headers, 'location') ?? location;
      const held = rangeEnd(headerOf(res.headers, 'range'));
      t.http.countBytes(end - from + 1);
      offset = held !== undefined && held >= from ? held + 1 : end + 1;
      continue;
    }
    // A cut connection, a 5xx or 416 (the registry holds a different amount): ask where it stands.
    if (res && res.status !== 416 && res.status < 500) throw failed(t, res, `chunk ${from}-${end}`);
    if (++resumes > RESUMES) throw res ? failed(t, res, `chunk ${from}-${end}`) : new RegistryError(t.reference, `upload of ${t.reference} to ${t.host} broke off ${RESUMES} times.`);
    const status = await t.http.send({ ...base, method: 'GET', path: sessionPath(location), kind: 'blob:upload-status' });
    if (status.status !== 204) throw failed(t, status, 'the upload status');
    location = headerOf(status.headers, 'location') ?? location;
    const held = rangeEnd(headerOf(status.headers, 'range'));
    // Distribution says `0-0` for an empty session too: read it as nothing held.
    offset = held === undefined || held === 0 ? 0 : held + 1;
  }
  const done = await t.http.send({ ...base, method: 'PUT', path: sessionPath(location, blob.digest), kind: 'blob:PUT', headers: { 'content-length': '0' } });
  if (done.status !== 201) throw failed(t, done, 'closing the upload');
}
