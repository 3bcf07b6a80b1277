/**
 * A build whose base image lives on the configured registry behind a login (Outline's app is built
 * FROM the base mirror pushed there): buildah gets the config's credentials through a 0600 auth
 * file that is gone after the builder closes, never through its command line. Without them the
 * same build is refused by the registry, so the test shows the credentials are what made it work.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildCredentials } from '../../src/providers/builder/auth-file.js';
import { createBuilder } from '../../src/providers/builder/index.js';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import type { RegistryBackend } from '../../src/providers/registry/types.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { pushBaseImage } from '../rig/sources.js';

const USER = 'builder-user';
const PASSWORD = 'pw-build-Zk41-secret';

let registry: TestRegistry;
let backend: RegistryBackend;
let base: string;
let dir: string;
beforeAll(async () => {
  registry = await startRegistry({ auth: { username: USER, password: PASSWORD } });
  backend = createRegistryBackend({ url: registry.url('mirror'), insecure: true, username: USER, password: PASSWORD }, { env: { HOME: '/nonexistent' } });
  base = await pushBaseImage(backend, 'base-private');
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-build-auth-'));
  await writeFile(path.join(dir, 'Dockerfile'), `FROM ${base}\nLABEL test=auth\n`);
});
afterAll(async () => {
  await backend?.close();
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function build(credentials?: BuildCredentials) {
  // A temp dir of its own (other suites on this machine write mirror-* dirs to /tmp too), so
  // "nothing left" means exactly that: the builder's dirs, auth file included, are all gone.
  const privateTmp = await mkdtemp(path.join(tmpdir(), 'mirror-build-auth-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp;
  try {
    // HOME without a docker config or auth.json: only what mirror hands buildah counts.
    const builder = await createBuilder('buildah', { insecureRegistries: [registry.host], credentials });
    try {
      return await builder.build({ sourceDir: dir, context: '.', dockerfile: 'Dockerfile', platform: 'linux/amd64', buildArgs: {}, labels: {}, image: 'app', registry: backend });
    } finally {
      await builder.close();
      expect(await readdir(privateTmp)).toEqual([]);
    }
  } finally {
    if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
    await rm(privateTmp, { recursive: true, force: true });
  }
}

describe('buildah pulls base images from the configured registry with its credentials', () => {
  it('without credentials the registry refuses the pull; with them the build succeeds and the auth file is removed', async () => {
    await expect(build()).rejects.toThrow(/buildah build failed: .*(unauthorized|authentication required|401)/i);
    const built = await build({ host: registry.host, username: USER, password: PASSWORD });
    expect(built.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await backend.headManifest('app', built.digest)).toMatchObject({ digest: built.digest });
    expect(existsSync(path.join(tmpdir(), 'auth.json'))).toBe(false);
  }, 90_000);
});
