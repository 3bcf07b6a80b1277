/**
 * Hostile registry answers, against the unit under test (the HTTP registry backend) and scripted
 * servers: wrong digests on GET, HEAD and in a PUT response, oversized and non-JSON manifests,
 * hostile tag lists, and redirects or Locations to other hosts. Each row checks the call fails
 * with a clear RegistryError (or returns only what is safe), and that no credential reached the
 * other host. The scripted registry challenges with Basic auth, so credentials are really in play.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError, RegistryError } from '../../src/providers/registry/errors.js';
import { HttpRegistryBackend } from '../../src/providers/registry/http-backend.js';
import { startScripted, type ScriptedServer } from './harness.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
const OTHER = Buffer.from(JSON.stringify({ schemaVersion: 2, evil: true }));
const BLOB = Buffer.from('layer bytes');
const AUTH = `Basic ${Buffer.from('ci:hunter2-secret').toString('base64')}`;

type Handler = (req: IncomingMessage, res: ServerResponse, other: ScriptedServer) => void;

/** One row: what the registry answers, what mirror is asked to do, and what must come of it. */
interface RegistryRow {
  name: string;
  answer: Handler;
  call: (b: HttpRegistryBackend) => Promise<unknown>;
  expect: { error: typeof RegistryError; message: RegExp } | { returns: (value: unknown) => void };
  /** The other host must have seen this many requests (0: the redirect was refused). */
  otherRequests?: number;
}

let other: ScriptedServer;
let otherAnswer: Handler = (_req, res) => { res.writeHead(200); res.end(BLOB); };
beforeAll(async () => { other = await startScripted((req, res) => otherAnswer(req, res, other)); });
afterAll(async () => { await other?.stop(); });

const manifestHeaders = (digest: string) => ({ 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': digest });

const rows: RegistryRow[] = [
  {
    name: 'GET manifest: Docker-Content-Digest does not match the body',
    answer: (_q, res) => { res.writeHead(200, manifestHeaders(sha(OTHER))); res.end(MANIFEST); },
    call: (b) => b.getManifest('app', '1.0.0'),
    expect: { error: DigestMismatchError, message: /whose content is sha256:.* but claimed sha256:/ },
  },
  {
    name: 'GET manifest by digest: the body is other content (no digest header)',
    answer: (_q, res) => { res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }); res.end(OTHER); },
    call: (b) => b.getManifest('app', sha(MANIFEST)),
    expect: { error: DigestMismatchError, message: /refusing it/ },
  },
  {
    name: 'HEAD manifest by digest: the registry names another digest',
    answer: (_q, res) => { res.writeHead(200, { ...manifestHeaders(sha(OTHER)), 'content-length': String(MANIFEST.length) }); res.end(); },
    call: (b) => b.headManifest('app', sha(MANIFEST)),
    expect: { error: DigestMismatchError, message: /answered digest sha256:/ },
  },
  {
    name: 'PUT manifest: the response claims another digest was stored',
    answer: (_q, res) => { res.writeHead(201, { 'docker-content-digest': sha(OTHER) }); res.end(); },
    call: (b) => b.putManifest('app', '1.0.0', new Uint8Array(MANIFEST), 'application/vnd.oci.image.manifest.v1+json'),
    expect: { error: DigestMismatchError, message: /stored .* as sha256:.*, not sha256:/ },
  },
  {
    name: 'GET manifest of 5 MiB (over the 4 MiB limit)',
    answer: (_q, res) => { const big = Buffer.alloc(5 * 1024 * 1024, 0x20); res.writeHead(200, manifestHeaders(sha(big))); res.end(big); },
    call: (b) => b.getManifest('app', '1.0.0'),
    expect: { error: RegistryError, message: /more than 4194304 bytes|over the 4194304-byte limit/ },
  },
  {
    name: 'GET manifest streaming without end (read stops at the manifest limit, not 64 MiB)',
    answer: (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => { while (sent < 80 && res.write(chunk)) sent++; if (sent < 80) res.once('drain', pump); else res.end(); };
      pump();
    },
    call: (b) => b.getManifest('app', '1.0.0'),
    expect: { error: RegistryError, message: /more than 4194304 bytes/ },
  },
  {
    name: 'GET manifest that is not JSON and has no Content-Type',
    answer: (_q, res) => { const body = Buffer.from('<html>proxy error</html>'); res.writeHead(200, { 'docker-content-digest': sha(body) }); res.end(body); },
    call: (b) => b.getManifest('app', '1.0.0'),
    expect: { error: RegistryError, message: /is not JSON/ },
  },
  {
    name: 'tag list with hostile tags: only valid OCI tags come back',
    answer: (_q, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ tags: ['1.0.0', '../../x', '$(touch pwned)', 'a'.repeat(1_000_000), 42, 'latest', '-rm'] })); },
    call: (b) => b.listTags('app'),
    expect: { returns: (tags) => expect(tags).toEqual(['1.0.0', 'latest']) },
  },
  {
    name: 'tag list Link rel=next to another host',
    answer: (_q, res, o) => { res.writeHead(200, { 'content-type': 'application/json', link: `<${o.url}/v2/ns/app/tags/list?last=1.0.0>; rel="next"` }); res.end('{"tags":["1.0.0"]}'); },
    call: (b) => b.listTags('app'),
    expect: { error: RegistryError, message: /sent mirror to another host .*refusing to follow with credentials/ },
    otherRequests: 0,
  },
  {
    name: 'manifest GET redirected to another host',
    answer: (_q, res, o) => { res.writeHead(307, { location: `${o.url}/steal` }); res.end(); },
    call: (b) => b.getManifest('app', '1.0.0'),
    expect: { error: RegistryError, message: /answered HTTP 307/ },
    otherRequests: 0,
  },
  {
    name: 'blob GET redirected to another host (a CDN): followed without credentials',
    answer: (_q, res, o) => { otherAnswer = (_r, s) => { s.writeHead(200); s.end(BLOB); }; res.writeHead(307, { location: `${o.url}/cdn/blob?sig=abc` }); res.end(); },
    call: (b) => b.getBlob('app', sha(BLOB)),
    expect: { returns: (bytes) => expect(Buffer.from(bytes as Uint8Array).equals(BLOB)).toBe(true) },
    otherRequests: 1,
  },
  {
    name: 'blob GET redirected to another host that serves other bytes',
    answer: (_q, res, o) => { otherAnswer = (_r, s) => { s.writeHead(200); s.end('evil bytes'); }; res.writeHead(302, { location: `${o.url}/cdn/blob` }); res.end(); },
    call: (b) => b.getBlob('app', sha(BLOB)),
    expect: { error: DigestMismatchError, message: /does not match its digest/ },
    otherRequests: 1,
  },
  {
    name: 'blob GET redirected to a file: URL',
    answer: (_q, res) => { res.writeHead(302, { location: 'file:///etc/passwd' }); res.end(); },
    call: (b) => b.getBlob('app', sha(BLOB)),
    expect: { error: RegistryError, message: /not HTTPS/ },
    otherRequests: 0,
  },
  {
    name: 'blob upload Location on another host',
    answer: (req, res, o) => {
      if (req.method === 'HEAD') { res.writeHead(404); res.end(); return; }
      res.writeHead(202, { location: `${o.url}/upload/123` }); res.end();
    },
    call: (b) => b.putBlob('app', sha(BLOB), new Uint8Array(BLOB)),
    expect: { error: RegistryError, message: /sent mirror to another host .*refusing/ },
    otherRequests: 0,
  },
  {
    name: 'a reference with a traversal is refused before any request',
    answer: (_q, res) => { res.writeHead(200, manifestHeaders(sha(MANIFEST))); res.end(MANIFEST); },
    call: (b) => b.getManifest('app', '../../../v2/_catalog'),
    expect: { error: RegistryError, message: /is not a valid tag or digest/ },
  },
];

describe('hostile registry answers (HTTP backend against scripted servers)', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    // Given a registry that wants Basic auth and then answers as the row says
    const registry = await startScripted((req, res) => {
      if (req.headers.authorization !== AUTH) { res.writeHead(401, { 'www-authenticate': 'Basic realm="scripted"' }); res.end(); return; }
      row.answer(req, res, other);
    });
    other.seen.length = 0;
    const backend = new HttpRegistryBackend({ url: `${registry.host}/ns`, host: registry.host, namespace: 'ns', insecure: true, username: 'ci', password: 'hunter2-secret', retries: 0 });
    try {
      // When mirror makes the call
      const result = await row.call(backend).then((value) => ({ value }), (error: unknown) => ({ error }));
      // Then it fails with the expected, clear error, or returns only what is safe
      if ('error' in row.expect) {
        expect('error' in result, `${row.name}: expected an error, got ${JSON.stringify((result as { value?: unknown }).value)?.slice(0, 200)}`).toBe(true);
        const error = (result as { error: Error }).error;
        expect(error, String(error)).toBeInstanceOf(row.expect.error);
        expect(error.message).toMatch(row.expect.message);
        expect(error.message.length).toBeLessThan(1000);
      } else {
        if ('error' in result) throw result.error;
        row.expect.returns(result.value);
      }
      // And no credential ever reached the other host (and it was asked exactly as often as expected)
      expect(other.seen.filter((s) => s.authorization)).toEqual([]);
      if (row.otherRequests !== undefined) expect(other.seen.length).toBe(row.otherRequests);
      // And the registry itself did get the credentials (else the row would prove nothing about them)
      if (!/refused before any request/.test(row.name)) expect(registry.seen.some((s) => s.authorization === AUTH)).toBe(true);
      else expect(registry.seen.length).toBe(0);
    } finally {
      await backend.close();
      await registry.stop();
    }
  });
});
