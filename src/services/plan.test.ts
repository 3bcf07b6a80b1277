/**
 * The plan service reads the state while its first requests are out (services/plan.ts), but a
 * bad --target is refused before the state is touched, and a state that cannot be read fails the
 * plan as soon as it is known: the answers still on their way are not waited for.
 */
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDelayProxy, type DelayProxy } from '../../test/rig/delay-proxy.js';
import { startRegistry, type TestRegistry } from '../../test/rig/registry.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../test/rig/upstream.js';
import { createPlan } from './plan.js';

let registry: TestRegistry;
let slow: DelayProxy;
let upstream: UpstreamEmulator;
let dir: string;
const GARBAGE = '{"version": 4, "resources": {'; // a state file cut off mid-write

beforeAll(async () => {
  [registry, upstream] = await Promise.all([startRegistry(), startUpstreamEmulator()]);
  upstream.github.setReleases('svc/app', [{ tag_name: 'v1.0.0' }]);
  slow = await startDelayProxy(registry.host, 3000); // the registry 3 s a round trip away
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-plan-svc-'));
  await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({
    registry: { url: `${slow.host}/svc`, insecure: true },
    defaults: { maxVersions: 1, platforms: ['linux/amd64'], attest: { sbom: false, provenance: false, sign: false } },
    apps: { app: { upstream: { type: 'github-releases', repository: 'svc/app', apiUrl: upstream.url }, source: { git: 'https://git.invalid/app.git', ref: 'v{version}' } } },
  }));
  await mkdir(path.join(dir, '.mirror'), { recursive: true });
  await writeFile(path.join(dir, '.mirror', 'state.json'), GARBAGE);
}, 60_000);
afterAll(async () => { await slow?.stop(); await Promise.all([registry?.stop(), upstream?.stop()]); });

const env = { HOME: '/nonexistent', XDG_CACHE_HOME: '' };

describe('plan service', () => {
  it('a bad --target is the error reported, not the corrupt state (it is checked before the state is read)', async () => {
    const error = await createPlan({ cwd: dir, targets: ['ap'], env }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('--target ap: the config has no app "ap". Did you mean app?');
  });

  it('a state that cannot be read fails the plan at once, while the releases page and the tag listing are still on their way', async () => {
    upstream.github.delayReleases(3000);
    try {
      const started = Date.now();
      const error = await createPlan({ cwd: dir, env }).catch((e: unknown) => e);
      // The state's error, reported long before the 3 s answers (and the file is left as it was)
      expect((error as Error).message).toMatch(/state/i);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await readFile(path.join(dir, '.mirror', 'state.json'), 'utf8')).toBe(GARBAGE);
    } finally {
      upstream.github.delayReleases(0);
    }
  });
});
