/** The token realm check against real servers: an https registry whose challenge names a plain-http token service. */
import { readFile, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestPki } from '../../../test/rig/tls.js';
import { createRegistryBackend } from './index.js';
import { assertRealmScheme } from './token-realm.js';

const backendFor = (url: string, extra: { username?: string; password?: string } = {}) =>
  createRegistryBackend({ url, insecure: true, username: extra.username, password: extra.password }, { env: { HOME: '/nonexistent' }, retryBaseMs: 5 });

async function scripted(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('token realm scheme', () => {
  it('never sends credentials to a plain-http token realm of an https registry, naming both URLs', async () => {
    // Given an https registry (self-signed: insecure) whose challenge names a plain-http token service
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-realm-'));
    const pki = await createTestPki(dir);
    const tokenRequests: string[] = [];
    const token = await scripted((req, res) => { tokenRequests.push(String(req.headers.authorization)); res.writeHead(200); res.end('{"token":"t"}'); });
    const registry = createHttpsServer({ cert: await readFile(pki.certificate), key: await readFile(pki.key) }, (_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${token.host}/token",service="s"` }); res.end();
    });
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
    try {
      // When mirror lists tags with credentials
      const b = backendFor(`${host}/ns`, { username: 'u', password: 'p' });
      // Then it refuses before the token request, and the token service saw nothing
      await expect(b.listTags('a')).rejects.toThrow(`registry https://${host} sent its token realm http://${token.host}/token, which is not https: refusing to send credentials there in clear.`);
      expect(tokenRequests).toEqual([]);
    } finally {
      registry.close(); token.server.close();
    }
  });

  it('a plain-http registry (registry.insecure, local) may keep a plain-http realm; other schemes never', () => {
    expect(() => assertRealmScheme(new URL('http://127.0.0.1:5001/token'), 'http://127.0.0.1:5000', 'r')).not.toThrow();
    expect(() => assertRealmScheme(new URL('https://auth.example/token'), 'https://reg.example', 'r')).not.toThrow();
    expect(() => assertRealmScheme(new URL('http://auth.example/token'), 'https://reg.example', 'r')).toThrow(/not https/);
    expect(() => assertRealmScheme(new URL('file:///etc/passwd'), 'http://127.0.0.1:5000', 'r')).toThrow(/not https/);
  });
});
