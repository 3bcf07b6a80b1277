/**
 * TLS against a real registry serving a certificate from a throwaway CA: verified by default (a
 * clear error naming the registry and both ways to trust it), NODE_EXTRA_CA_CERTS makes it
 * verified, `insecure: true` makes it work unverified, and `insecure` relaxes nothing else: an oci
 * state ref on another host name, an HTTPS upstream and a build's base image on another registry
 * with the same untrusted certificate fail.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/config/schema.js';
import { createBuilder } from '../../src/providers/builder/index.js';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { pushBaseImage } from '../rig/sources.js';
import { createTestPki, type TestPki } from '../rig/tls.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
let secure: TestRegistry;
let pki: TestPki;
let httpsUpstream: Server;
let httpsUpstreamUrl: string;

beforeAll(async () => {
  world = await startSeedWorld();
  pki = await createTestPki(world.dir);
  secure = await startRegistry({ tls: { certificate: pki.certificate, key: pki.key } });
  // An upstream API behind the same untrusted certificate.
  httpsUpstream = createServer({ cert: await readFile(pki.certificate), key: await readFile(pki.key) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify([{ tag_name: 'v10.4.1', draft: false, prerelease: false }]));
  });
  await new Promise<void>((resolve) => httpsUpstream.listen(0, '127.0.0.1', resolve));
  httpsUpstreamUrl = `https://127.0.0.1:${(httpsUpstream.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  httpsUpstream?.closeAllConnections();
  await new Promise((r) => httpsUpstream?.close(r));
  await Promise.all([secure?.stop(), world?.stop()]);
});

/** Plan the mattermost app against the TLS registry with a config variant. */
async function plan(change: (c: MirrorConfig) => MirrorConfig, env: Record<string, string> = {}) {
  const base: MirrorConfig = { ...world.config, registry: { url: secure.url('mirror'), insecure: false }, apps: { mattermost: world.config.apps.mattermost } };
  await import('node:fs/promises').then((fs) => fs.writeFile(path.join(world.dir, 'tls.json'), JSON.stringify(change(base))));
  return mirror(['plan', '--config', 'tls.json', '--json'], { cwd: world.dir, env });
}

describe('TLS to the registry', () => {
  it('verifies by default: an untrusted certificate is a clear error naming the registry and how to trust it', async () => {
    const r = await plan((c) => c);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Error: Registry ${secure.host.replace(/\./g, '\\.')} presents a TLS certificate mirror cannot verify \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)\\.\\n`));
    expect(r.stderr).toContain('NODE_EXTRA_CA_CERTS=/path/to/ca.pem');
    expect(r.stderr).toContain('registry.insecure: true');
  });

  it('with NODE_EXTRA_CA_CERTS naming the CA, it works verified', async () => {
    const r = await plan((c) => c, { NODE_EXTRA_CA_CERTS: pki.ca });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).registry).toBe(secure.url('mirror'));
  });

  it('with registry.insecure: true, it works over HTTPS without verification', async () => {
    const r = await plan((c) => ({ ...c, registry: { ...c.registry, insecure: true } }), { MIRROR_DEBUG: '1' });
    expect(r.exitCode, r.stderr).toBe(0);
    // HTTPS was used (Docker's insecure-registries: try HTTPS first), not a fallback to HTTP
    expect(r.stderr).toMatch(new RegExp(`mirror-debug registry ← \\d+ GET https://${secure.host.replace(/\./g, '\\.')}/v2/mirror/mattermost/tags/list`));
  });

  it('insecure does not reach an oci state ref on another host name (localhost) of the same server', async () => {
    const port = secure.host.split(':')[1];
    const r = await plan((c) => ({ ...c, registry: { ...c.registry, insecure: true }, state: { backend: 'oci', ref: `localhost:${port}/mirror/state:main` } }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Error: Registry localhost:${port} presents a TLS certificate mirror cannot verify`));
  });

  it('insecure does not reach an HTTPS upstream API', async () => {
    const r = await plan((c) => ({
      ...c, registry: { ...c.registry, insecure: true },
      apps: { mattermost: { ...c.apps.mattermost, upstream: { type: 'github-releases', repository: 'mattermost/mattermost', apiUrl: httpsUpstreamUrl } } },
    }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Error: Upstream of app "mattermost" \(https:\/\/127\.0\.0\.1:\d+\/repos\/mattermost\/mattermost\/releases\?per_page=100\): presents a TLS certificate mirror cannot verify/);
    expect(r.stderr).toContain('registry.insecure does not apply to upstream APIs');
    // And with the CA trusted, the same upstream works (so the failure above is the certificate)
    const trusted = await plan((c) => ({
      ...c, registry: { ...c.registry, insecure: true },
      apps: { mattermost: { ...c.apps.mattermost, upstream: { type: 'github-releases', repository: 'mattermost/mattermost', apiUrl: httpsUpstreamUrl } } },
    }), { NODE_EXTRA_CA_CERTS: pki.ca });
    expect(trusted.exitCode, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout).apps[0].window).toEqual(['10.4.1']);
  });
});

describe('TLS of the base images of a build (buildah)', () => {
  /** Build `FROM base` for amd64 with the world registry (plain HTTP) as the insecure registry.url. */
  async function build(base: string) {
    const dir = await mkdtemp(path.join(world.dir, 'ctx-'));
    await writeFile(path.join(dir, 'Dockerfile'), `FROM ${base}\nLABEL test=tls\n`);
    const builder = await createBuilder('buildah', { insecureRegistries: [world.registry.host] });
    try {
      return await builder.build({ sourceDir: dir, context: '.', dockerfile: 'Dockerfile', platform: 'linux/amd64', buildArgs: {}, labels: {}, image: 'tls-build', registry: world.backend });
    } finally {
      await builder.close();
    }
  }

  it('insecure covers the FROM of registry.url and not a base image on another registry with an untrusted certificate', async () => {
    const other = createRegistryBackend({ url: secure.url('base'), insecure: true }, { env: {} });
    try {
      const [ours, theirs] = await Promise.all([pushBaseImage(world.backend, 'tls-base'), pushBaseImage(other, 'tls-base')]);
      const built = await build(ours);
      expect(built.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      await expect(build(theirs)).rejects.toThrow(new RegExp(`^buildah build failed: base image registry ${secure.host.replace(/\./g, '\\.')} presents a TLS certificate buildah cannot verify \\(x509: .*\\); registry\\.insecure covers only ${world.registry.host.replace(/\./g, '\\.')}\\.$`));
    } finally {
      await other.close();
    }
  }, 60_000);
});
