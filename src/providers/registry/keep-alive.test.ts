/**
 * Manifest HEADs reuse their connection (a plan makes hundreds): undici closes the socket after a
 * HEAD unless told otherwise, which costs a TCP and TLS handshake per HEAD on a real network.
 * Real registry, a counting proxy in front of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDelayProxy, type DelayProxy } from '../../../test/rig/delay-proxy.js';
import { pushTestImage, pushTestIndex } from '../../../test/rig/oci.js';
import { startRegistry, type TestRegistry } from '../../../test/rig/registry.js';
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
});
