/**
 * The plan's drift HEADs of recorded versions start with the registry listing, not after the
 * upstream's last releases page: over a real network the registry pool would otherwise idle while
 * GitHub answers (issue 16). In-process observe() against a real registry and the GitHub emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../test/rig/registry.js';
import { pushTestImage } from '../../../test/rig/oci.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../../test/rig/upstream.js';
import { resolveConfig } from '../../config/load.js';
import { createRegistryBackend } from '../../providers/registry/index.js';
import type { RegistryBackend } from '../../providers/registry/types.js';
import { indexAddress } from '../../state/addresses.js';
import { newState } from '../../state/new-state.js';
import type { State } from '../../state/types.js';
import { observe } from './observe.js';

let registry: TestRegistry;
let upstream: UpstreamEmulator;
let backend: RegistryBackend;
const digests = new Map<string, string>();

beforeAll(async () => {
  [registry, upstream] = await Promise.all([startRegistry(), startUpstreamEmulator()]);
  backend = createRegistryBackend({ url: registry.url('early'), insecure: true }, { env: { HOME: '/nonexistent' } });
  // Upstream has 1.0.0 … 1.4.0; the registry holds 1.0.0 … 1.2.0 as the last apply left them.
  upstream.github.setReleases('early/app', ['1.4.0', '1.3.0', '1.2.0', '1.1.0', '1.0.0'].map((v) => ({ tag_name: `v${v}` })));
  for (const v of ['1.0.0', '1.1.0', '1.2.0']) digests.set(v, (await pushTestImage(backend, 'app', { architecture: 'amd64', tag: v, content: v })).digest);
}, 60_000);
afterAll(async () => {
  await backend?.close();
  await Promise.all([registry?.stop(), upstream?.stop()]);
});

function recorded(versions: string[]): State {
  const state = newState();
  const at = '2026-11-01T00:00:00Z';
  for (const version of versions) {
    state.resources[indexAddress('app', 'app', version)] = {
      type: 'index', app: 'app', image: 'app', version, digest: digests.get(version) ?? '', platforms: ['linux/amd64'], createdAt: at, updatedAt: at,
    };
  }
  return state;
}

/** A config of the one app with a window of `maxVersions`. */
function configWithWindow(maxVersions: number) {
  return resolveConfig({
    registry: { url: registry.url('early'), insecure: true },
    defaults: { maxVersions, platforms: ['linux/amd64'], attest: { sbom: false, provenance: false, sign: false } },
    apps: { app: { upstream: { type: 'github-releases', repository: 'early/app', apiUrl: upstream.url }, source: { git: 'https://git.invalid/app.git', ref: 'v{version}' } } },
  }, '/nonexistent/mirror.config.json', {});
}

/** The real backend, with every manifest HEAD it is asked for written down (reference, when). */
function headsSeen() {
  const heads: Array<{ reference: string; at: number }> = [];
  const spy: RegistryBackend = Object.create(backend) as RegistryBackend;
  spy.headManifest = (image, reference) => { heads.push({ reference, at: Date.now() }); return backend.headManifest(image, reference); };
  return { heads, spy };
}

describe('early drift HEADs', () => {
  it('HEADs the recorded versions while the releases page is still on its way, and the plan uses those answers', async () => {
    // Given a GitHub API that answers releases 800 ms late, and a window of 2 versions
    const config = configWithWindow(2);
    const { heads, spy } = headsSeen();
    upstream.github.delayReleases(800);
    upstream.resetRequests();
    try {
      // When the plan observes a state recording all three registry versions
      const { observed } = await observe({ config, state: recorded(['1.0.0', '1.1.0', '1.2.0']), registry: spy, env: {} });
      // Then the newest two recorded versions (as many as the window holds) were HEADed before the releases page arrived
      const page = upstream.requests.find((q) => q.url.includes('/releases'));
      expect(page?.answeredAt).toBeDefined();
      const early = heads.filter((h) => h.at < (page?.answeredAt ?? 0)).map((h) => h.reference);
      expect(early.sort()).toEqual(['1.1.0', '1.2.0']);
      // And no tag was HEADed twice: round 1 took the early answers
      expect(heads.map((h) => h.reference).sort()).toEqual(['1.1.0', '1.2.0']);
      // And the window (1.4.0, 1.3.0) holds neither, so their digests are learnt but drive nothing
      expect(observed.windows.get('app')?.map((w) => w.version)).toEqual(['1.4.0', '1.3.0']);
    } finally {
      upstream.github.delayReleases(0);
    }
  });

  it('--refresh-only takes the early answers for versions outside the window instead of asking again', async () => {
    // Given a window of 2 (1.4.0, 1.3.0), and all three registry versions recorded
    const config = configWithWindow(2);
    const { heads, spy } = headsSeen();
    // When a refresh observes every tag
    const { observed } = await observe({ config, state: recorded(['1.0.0', '1.1.0', '1.2.0']), registry: spy, env: {}, refresh: true });
    // Then each tag was HEADed exactly once (1.1.0 and 1.2.0 early, 1.0.0 by the refresh), and every digest is known
    expect(heads.map((h) => h.reference).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) expect(observed.registry.get('app')?.tagDigests.get(v)).toBe(digests.get(v));
  });

  it('a recorded version in the window is checked for drift from its early HEAD', async () => {
    // Given a window of 4 (1.4.0 … 1.1.0): 1.1.0 and 1.2.0 are recorded and in it
    const config = configWithWindow(4);
    const { heads, spy } = headsSeen();
    const { observed } = await observe({ config, state: recorded(['1.1.0', '1.2.0']), registry: spy, env: {} });
    // Then each recorded window version was HEADed once, and its digest is the one in the registry
    expect(heads.map((h) => h.reference).sort()).toEqual(['1.1.0', '1.2.0']);
    expect(observed.registry.get('app')?.tagDigests.get('1.2.0')).toBe(digests.get('1.2.0'));
    expect(observed.registry.get('app')?.tagDigests.get('1.1.0')).toBe(digests.get('1.1.0'));
  });

  it('asks the upstream and lists the registry while the state is still being read', async () => {
    // Given a state whose read ends only when the test says so
    const config = configWithWindow(4);
    const { heads, spy } = headsSeen();
    const listed: string[] = [];
    spy.listTags = (image) => { listed.push(image); return backend.listTags(image); };
    let finishRead!: (state: State) => void;
    const state = new Promise<State>((resolve) => { finishRead = resolve; });
    upstream.resetRequests();
    const observation = observe({ config, state, registry: spy, env: {} });
    // When the releases page and the tag listing have gone out (or 5 s passed: a plan that waited for the state sends neither)
    for (let waited = 0; waited < 5000 && !(listed.length > 0 && upstream.requests.some((q) => q.url.includes('/releases'))); waited += 10) await new Promise((r) => setTimeout(r, 10));
    const beforeRead = { listed: [...listed], pages: upstream.requests.filter((q) => q.url.includes('/releases')).length, heads: heads.length };
    finishRead(recorded(['1.1.0', '1.2.0']));
    const { observed } = await observation;
    // Then both were asked before the state was there, and no HEAD went out without it
    expect(beforeRead).toEqual({ listed: ['app'], pages: 1, heads: 0 });
    // And the recorded window versions were checked for drift once it was read
    expect(heads.map((h) => h.reference).sort()).toEqual(['1.1.0', '1.2.0']);
    expect(observed.registry.get('app')?.tagDigests.get('1.2.0')).toBe(digests.get('1.2.0'));
  });

  it("HEADs a floating tag with the listing, before the state is read (it needs none)", async () => {
    // Given an image whose registry holds 2.0.0 and latest, and a state whose read ends only when the test says so
    await pushTestImage(backend, 'float', { architecture: 'amd64', tag: '2.0.0', content: 'float' });
    await pushTestImage(backend, 'float', { architecture: 'amd64', tag: 'latest', content: 'float' });
    upstream.github.setReleases('early/float', [{ tag_name: 'v2.0.0' }]);
    const config = resolveConfig({
      registry: { url: registry.url('early'), insecure: true },
      defaults: { maxVersions: 1, platforms: ['linux/amd64'], attest: { sbom: false, provenance: false, sign: false } },
      apps: { float: { upstream: { type: 'github-releases', repository: 'early/float', apiUrl: upstream.url }, source: { git: 'https://git.invalid/f.git', ref: 'v{version}' } } },
    }, '/nonexistent/mirror.config.json', {});
    const { heads, spy } = headsSeen();
    let finishRead!: (state: State) => void;
    const observation = observe({ config, state: new Promise<State>((resolve) => { finishRead = resolve; }), registry: spy, env: {} });
    // When the listing is in (or 5 s passed)
    for (let waited = 0; waited < 5000 && heads.length === 0; waited += 10) await new Promise((r) => setTimeout(r, 10));
    const beforeRead = heads.map((h) => h.reference);
    finishRead(newState());
    await observation;
    // Then latest was HEADed before the state was there
    expect(beforeRead).toEqual(['latest']);
  });

  it('a state that cannot be read is the error reported, also when an upstream failed first', async () => {
    // Given an app whose repository the upstream does not know (a 404 at once) and a state read that fails later
    const config = resolveConfig({
      registry: { url: registry.url('early'), insecure: true },
      defaults: { maxVersions: 2, platforms: ['linux/amd64'], attest: { sbom: false, provenance: false, sign: false } },
      apps: { app: { upstream: { type: 'github-releases', repository: 'early/missing', apiUrl: upstream.url }, source: { git: 'https://git.invalid/app.git', ref: 'v{version}' } } },
    }, '/nonexistent/mirror.config.json', {});
    const state = new Promise<State>((_resolve, reject) => setTimeout(() => reject(new Error('state.json is not valid JSON')), 300));
    // When the plan observes
    const error = await observe({ config, state, registry: backend, env: {} }).catch((e: unknown) => e);
    // Then the state's error is the one reported
    expect((error as Error).message).toBe('state.json is not valid JSON');
  });
});
