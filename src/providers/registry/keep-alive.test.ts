/**
 * Manifest HEADs reuse their connection (a plan makes hundreds): undici closes the socket after a
 * HEAD unless told otherwise, which costs a TCP and TLS handshake per HEAD on a real network. And
 * they are pipelined (system/pools.ts REGISTRY_PIPELINING): several go out on one connection
 * before the first answer, so a plan's ~1,400 requests are not ~22 round trips at 64 connections.
 * Real registry, a counting proxy (or a relay that watches each connection) in front of it.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDelayProxy, type DelayProxy } from '../../../test/rig/delay-proxy.js';
import { pushTestImage, pushTestIndex } from '../../../test/rig/oci.js';
import { startRegistry, type TestRegistry } from '../../../test/rig/registry.js';
import { HttpRegistryBackend } from './http-backend.js';
import { createRegistryBackend } from './index.js';

let registry: TestRegistry;
let proxy: DelayProxy;
beforeAll(async () => {
  registry = await startRegistry();
  const direct = createRegistryBackend({ url: registry.url('ka'), insecure: true }, { env: {} });
  const amd = await pushTestImage(direct, 'app', { architecture: 'amd64' });
  await pushTestIndex(direct, 'app', '1.0.0', [amd]);
  await direct.close();
  proxy = await startDelayProxy(registry.host, 0);
});
afterAll(async () => { await proxy?.stop(); await registry?.stop(); });

describe('registry connections', () => {
  it('20 HEADs one after another reuse their connections (21 connections when each HEAD closed its own)', async () => {
    const backend = createRegistryBackend({ url: `${proxy.host}/ka`, insecure: true }, { env: {} });
    try {
      for (let i = 0; i < 20; i++) expect((await backend.headManifest('app', '1.0.0'))?.digest).toMatch(/^sha256:/);
      // The insecure registry's TLS probe, the pool's connection, and at most one more: undici frees
      // a socket one event-loop turn after its answer, so a HEAD sent at once may open a second.
      expect(proxy.connections()).toBeLessThanOrEqual(3);
    } finally {
      await backend.close();
    }
  });

  it('pipelines HEADs: 8 go out on one connection before the registry answers the first', async () => {
    // The relay holds what the client sends on a connection until 8 HEAD request lines are in (or
    // 1.5 s passed: a client that waits for each answer never sends the second), then lets it all through.
    const relay = await startHoldingRelay(registry.host, 8, 1500);
    const backend = new HttpRegistryBackend({ url: `${relay.host}/ka`, host: relay.host, namespace: 'ka', insecure: true, concurrency: 1, env: {} });
    try {
      const digests = await Promise.all(Array.from({ length: 8 }, () => backend.headManifest('app', '1.0.0')));
      for (const d of digests) expect(d?.digest).toMatch(/^sha256:/);
      expect(Math.max(...relay.headsBeforeAnswer())).toBe(8);
    } finally {
      await backend.close();
      await relay.stop();
    }
  });

  it('a connection that closes after its first answer loses none of the HEADs pipelined behind it', async () => {
    // The relay lets the registry's first answer through, then cuts the connection: the HEADs
    // still in that pipeline are sent again (undici requeues them, the client retries the cut one).
    const relay = await startHoldingRelay(registry.host, 4, 300, { cutAfterFirstAnswer: true });
    const backend = new HttpRegistryBackend({ url: `${relay.host}/ka`, host: relay.host, namespace: 'ka', insecure: true, concurrency: 1, env: {}, retryBaseMs: 1 });
    try {
      const digests = await Promise.all(Array.from({ length: 4 }, () => backend.headManifest('app', '1.0.0')));
      for (const d of digests) expect(d?.digest).toMatch(/^sha256:/);
      expect(relay.cuts()).toBeGreaterThan(0);
    } finally {
      await backend.close();
      await relay.stop();
    }
  });
});

/**
 * A TCP relay in front of `target` that, per connection, holds the client's bytes until `heads`
 * HEAD request lines arrived (or `maxWaitMs` passed) and records how many were in at that moment.
 */
async function startHoldingRelay(target: string, heads: number, maxWaitMs: number, opts: { cutAfterFirstAnswer?: boolean } = {}) {
  const [targetHost, targetPort] = target.split(':');
  const counts: number[] = [];
  const sockets = new Set<net.Socket>();
  let cuts = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), targetHost);
    sockets.add(client); sockets.add(upstream);
    let held: Buffer[] = [];
    let seen = 0;
    let released = false;
    let cut = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      counts.push(seen);
      for (const b of held) upstream.write(b);
      held = [];
    };
    const timer = setTimeout(release, maxWaitMs);
    client.on('data', (chunk: Buffer) => {
      if (released) { upstream.write(chunk); return; }
      held.push(chunk);
      const text = Buffer.concat(held).toString('latin1');
      seen = (text.match(/^HEAD /gm) ?? []).length;
      // The insecure registry's TLS probe (a ClientHello, not HTTP) goes through at once.
      if (seen >= heads || !/^[A-Z]+ /.test(text)) release();
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cut) return;
      client.write(chunk);
      // A registry's HEAD answer is headers only: the first blank line ends the first answer.
      if (opts.cutAfterFirstAnswer && seen > 1 && chunk.includes('\r\n\r\n')) {
        cut = true;
        cuts += 1;
        client.destroy(); upstream.destroy(); // answers behind the first in this chunk are lost with it

      }
    });
    for (const s of [client, upstream]) {
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => { sockets.delete(s); clearTimeout(timer); client.destroy(); upstream.destroy(); });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    headsBeforeAnswer: () => counts,
    cuts: () => cuts,
    stop: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
