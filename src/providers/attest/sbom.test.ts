import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { AbortError } from '../../errors.js';
import { createSbomGenerator, trivyArgs } from './sbom.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('trivy arguments', () => {
  it('reads a registry index remotely for one platform, and a layout image with --input DIR@DIGEST', () => {
    expect(trivyArgs({ type: 'registry', reference: `reg:5000/ns/app@${D}`, platform: 'linux/arm64/v8' }, '/c', true))
      .toEqual(['image', '--image-src', 'remote', '--skip-db-update', '--offline-scan', '--format', 'spdx-json', '--quiet', '--cache-dir=/c', '--platform=linux/arm64/v8', '--insecure', `reg:5000/ns/app@${D}`]);
    expect(trivyArgs({ type: 'layout', dir: '/srv/oci/app', digest: D }, '/c', false))
      .toEqual(['image', '--skip-db-update', '--offline-scan', '--format', 'spdx-json', '--quiet', '--cache-dir=/c', `--input=/srv/oci/app@${D}`]);
  });

  it('refuses a platform from the registry that is not os/arch[/variant] (it would become a trivy flag)', () => {
    for (const platform of ['--server=http://evil', 'linux/amd64 --x', 'linux', '../x/y']) {
      expect(() => trivyArgs({ type: 'registry', reference: `reg/app@${D}`, platform }, '/c', false)).toThrow(/expected os\/architecture/);
    }
    expect(() => trivyArgs({ type: 'registry', reference: `-x@${D}`, platform: 'linux/amd64' }, '/c', false)).toThrow(/Refusing to scan/);
    expect(() => trivyArgs({ type: 'layout', dir: 'rel/dir', digest: D }, '/c', false)).toThrow(/absolute OCI layout directory/);
    expect(() => trivyArgs({ type: 'layout', dir: '/a@b', digest: D }, '/c', false)).toThrow(/without @/);
  });
});

describe('the trivy binary (real, offline)', () => {
  it('a scan that fails says what to check about the image, not how to install trivy', async () => {
    // Port 9 on loopback: nothing listens, so the real trivy fails on the registry, not on itself.
    const sbom = createSbomGenerator({ insecure: true });
    const error = await sbom.generate({ type: 'registry', reference: `127.0.0.1:9/ns/app@${D}`, platform: 'linux/amd64' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).message).toMatch(/^trivy image failed: /);
    expect((error as AbortError).nextSteps).toMatch(/^trivy could not scan 127\.0\.0\.1:9\/ns\/app@sha256:a+: check that the registry is reachable/);
    expect((error as AbortError).nextSteps).not.toMatch(/Install trivy/);
  }, 60_000);

  it('an interrupted apply stops a scan waiting on the registry at once (its signal kills trivy)', async () => {
    // Given a registry that accepts trivy's connection and never answers
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => { sockets.add(s); s.resume(); s.on('close', () => sockets.delete(s)); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const controller = new AbortController();
      const scan = createSbomGenerator({ insecure: true }).generate({ type: 'registry', reference: `127.0.0.1:${port}/ns/app@${D}`, platform: 'linux/amd64' }, controller.signal)
        .then(() => 'finished', () => 'stopped');
      const until = Date.now() + 30_000;
      while (sockets.size === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(sockets.size).toBeGreaterThan(0);
      // When the run is interrupted
      controller.abort(new Error('stopped by SIGINT'));
      const started = Date.now();
      // Then the scan ends within seconds (trivy's own timeout is minutes) and lets go of the registry
      const ended = await Promise.race([scan, new Promise((r) => setTimeout(() => r('still scanning'), 10_000))]);
      expect(ended).toBe('stopped');
      expect(Date.now() - started).toBeLessThan(5_000);
      while (sockets.size > 0 && Date.now() < started + 5_000) await new Promise((r) => setTimeout(r, 20));
      expect(sockets.size).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});
