/**
 * Upstream Dockerfiles are untrusted: a RUN step is built as an attacker would write it. Under
 * buildah's OCI isolation (the default) it gets its own pid 1, finds no registry credentials
 * (mirror's auth file exists on the host during the build), cannot read or write host files
 * through /proc/1/root, and still downloads from a local file server over the host network;
 * amd64 and arm64 (QEMU) both build. The same probe under `isolation: 'chroot'` sees the host's
 * pid 1, which shows the probe can tell the two apart.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuilder } from '../../src/providers/builder/index.js';
import type { BuildIsolation } from '../../src/providers/builder/types.js';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import type { RegistryBackend } from '../../src/providers/registry/types.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { pushBaseImage } from '../rig/sources.js';

const USER = 'iso-user';
const PASSWORD = `pw-iso-${randomBytes(6).toString('hex')}`;
const HOST_SECRET = `host-secret-${randomBytes(6).toString('hex')}`;
const DOWNLOAD = `downloaded-${randomBytes(6).toString('hex')}`;

let registry: TestRegistry;
let backend: RegistryBackend;
let files: Server;
let dir: string;
let secretName: string;
let canaryName: string;
beforeAll(async () => {
  registry = await startRegistry({ auth: { username: USER, password: PASSWORD } });
  backend = createRegistryBackend({ url: registry.url('mirror'), insecure: true, username: USER, password: PASSWORD }, { env: { HOME: '/nonexistent' } });
  const base = await pushBaseImage(backend, 'base-iso');
  files = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`${DOWNLOAD}\n`); });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  const port = (files.address() as { port: number }).port;
  // A host file the build must not read, and a host path it must not create.
  secretName = `mirror-iso-secret-${randomBytes(4).toString('hex')}`;
  canaryName = `mirror-iso-canary-${randomBytes(4).toString('hex')}`;
  await writeFile(path.join(tmpdir(), secretName), `${HOST_SECRET}\n`, { mode: 0o644 });
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-build-iso-'));
  const bb = '/bin/busybox';
  const probe = [
    'echo MIRROR-PROBE',
    `echo "pid1=$(${bb} tr '\\0' ' ' < /proc/1/cmdline)"`,
    `echo "authfiles=$(${bb} find / -path /proc -prune -o -name auth.json -print 2>/dev/null | ${bb} tr '\\n' ' ')"`,
    `echo "hostfile=$(cat /proc/1/root/tmp/${secretName} /tmp/${secretName} 2>/dev/null)"`,
    `(echo pwned > /proc/1/root/tmp/${canaryName}) 2>/dev/null; echo "binfmt=$( (echo x > /proc/sys/fs/binfmt_misc/register) 2>/dev/null && echo writable || echo refused)"`,
    `echo "env=$(${bb} env | ${bb} tr '\\n' ' ')"`,
    `echo "download=$(wget -q -O - http://127.0.0.1:${port}/file)"`,
  ].join('; ');
  await writeFile(path.join(dir, 'Dockerfile'), `FROM ${base}\nRUN ${probe}\n`);
}, 120_000);
afterAll(async () => {
  await backend?.close();
  await registry?.stop();
  await new Promise((r) => files?.close(r));
  for (const f of [secretName, canaryName]) if (f) await rm(path.join(tmpdir(), f), { force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Build the probe for one platform; returns what its RUN step printed (`key=value` lines). */
async function probe(platform: string, isolation?: BuildIsolation): Promise<{ digest: string; seen: Record<string, string>; log: string[] }> {
  const builder = await createBuilder('buildah', { insecureRegistries: [registry.host], credentials: { host: registry.host, username: USER, password: PASSWORD }, isolation });
  const log: string[] = [];
  try {
    const built = await builder.build({ sourceDir: dir, context: '.', dockerfile: 'Dockerfile', platform, buildArgs: {}, labels: {}, image: 'probe', registry: backend, log: (l) => log.push(l) });
    const seen = Object.fromEntries(log.filter((l) => /^(pid1|authfiles|hostfile|binfmt|env|download)=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return { digest: built.digest, seen, log };
  } finally {
    await builder.close();
  }
}

describe('upstream build steps run confined (buildah OCI isolation, runc)', () => {
  for (const platform of ['linux/amd64', 'linux/arm64']) {
    it(`${platform}: own pid 1, no credentials, no host files, binfmt_misc not writable, downloads work`, async () => {
      const { digest, seen, log } = await probe(platform);
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      // Its pid 1 is its own shell, not the host's init
      expect(seen.pid1, log.join('\n')).toContain('MIRROR-PROBE');
      // mirror's auth file exists on the host right now, but not in the build's world
      expect(seen.authfiles).toBe('');
      expect(log.join('\n')).not.toContain(PASSWORD);
      expect(seen.env).not.toMatch(/REGISTRY_AUTH_FILE|DOCKER_CONFIG/);
      // The host's files are out of reach, for reading and for writing
      expect(seen.hostfile).toBe('');
      expect(existsSync(path.join(tmpdir(), canaryName))).toBe(false);
      expect(seen.binfmt).toBe('refused');
      // The host network is kept: the download from the local file server worked
      expect(seen.download).toBe(DOWNLOAD);
    }, 180_000);
  }

  it("the same probe under isolation 'chroot' sees the host's pid 1 (why OCI isolation is the default)", async () => {
    const { seen, log } = await probe('linux/amd64', 'chroot');
    expect(seen.pid1, log.join('\n')).toBeDefined();
    expect(seen.pid1).not.toContain('MIRROR-PROBE');
  }, 180_000);
});
