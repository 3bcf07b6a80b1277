/**
 * The OCI lock's race and timing paths against a real registry (issue 20): the conformance suite
 * (oci-backend.test.ts) runs their happy paths; here a registry client wrapped per test plays the
 * other process landing in the one window each rule exists for (a writer after ours, a renewal
 * between a look and a DELETE, a registry that drops or refuses what we write).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestRegistry } from '../../test/rig/registry.js';
import { useRegistryPair } from '../../test/rig/registry-pair.js';
import type { ResolvedConfig } from '../config/model.js';
import { AbortError, BugError } from '../errors.js';
import { RegistryError, RegistryUnavailableError } from '../providers/registry/errors.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import type { RegistryBackend } from '../providers/registry/types.js';
import { openStateBackend } from './backend.js';
import { FileStateStore } from './file-store.js';
import { FileLocker } from './lock.js';
import { holderInfo, LockedError } from './lock-core.js';
import { newState } from './new-state.js';
import { fetchArtifact, LOCK_TYPE, parseStateRef, prepareArtifact, putArtifact, type OciTarget } from './oci-artifact.js';
import { openOciBackend } from './oci-backend.js';
import { lockContent, machineFingerprint, machineId, OciLocker, type OciLockerOptions } from './oci-lock.js';
import type { LockInfo } from './types.js';

const ENV = { HOME: '/nonexistent' };
const USER = 'mirror-lock-user';
const PASSWORD = 'pw-Lk9-never-stored';
const registries = useRegistryPair({ username: USER, password: PASSWORD });

let repos = 0;
const freshRef = () => `${registries.open.host}/mirror/lock-${++repos}:main`;
const clients: RegistryBackend[] = [];
const lockers: OciLocker[] = [];
afterAll(async () => {
  for (const l of lockers) l.stop();
  await Promise.all(clients.map((c) => c.close()));
});

/** A target with its own registry client (another process's view), optionally wrapped to play a race. */
function targetFor(ref: string, wrap: (r: RegistryBackend) => Partial<RegistryBackend> = () => ({})): OciTarget {
  const { settings, image, tag } = parseStateRef(ref, { url: registries.open.url('mirror'), insecure: true });
  const client = createRegistryBackend(settings, { env: ENV, retryBaseMs: 5 });
  clients.push(client);
  return { registry: Object.assign(Object.create(client) as RegistryBackend, wrap(client)), image, tag, location: ref };
}
const FAST: OciLockerOptions = { pollMs: 20, settleMs: 15 };
const locker = (t: OciTarget, opts: OciLockerOptions = {}) => {
  const l = new OciLocker(t, { ...FAST, ...opts });
  lockers.push(l);
  return l;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const headDigest = async (t: OciTarget, reference: string) => (await t.registry.headManifest(t.image, reference))?.digest;
const repoOf = (t: OciTarget) => t.registry.repository(t.image);
/** Digest of the empty config blob every artifact shares. */
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
const refused = (ref: string) => new RegistryError(ref, 'The operation is unsupported.', undefined, 405);
/** A lock of another holder, written straight to the tag. */
async function plantLock(t: OciTarget, over: Partial<LockInfo> = {}): Promise<{ info: LockInfo; digest: string }> {
  const info = { ...holderInfo(`planted-${Math.random()}`, 'apply', 'ci', 60_000), host: 'elsewhere', ...over };
  const digest = await putArtifact(t, `${t.tag}-lock`, await prepareArtifact(t, LOCK_TYPE, lockContent(info, 'another-machine'), { 'dev.mirror.lock.id': info.id }));
  return { info, digest };
}
/** Resolves once the lock's manifest changes: a renewal has just landed. */
async function renewed(t: OciTarget): Promise<void> {
  const first = await headDigest(t, `${t.tag}-lock`);
  for (let i = 0; i < 500 && (await headDigest(t, `${t.tag}-lock`)) === first; i++) await sleep(5);
}
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

describe('OciLocker: who gets the lock', () => {
  it('of several takers racing for a free lock, exactly one wins: the last writer after the settle delay', async () => {
    // Given four processes that all see the lock free and write theirs
    const ref = freshRef();
    // The product's default settle delay (1 s): writers further apart than it can both win (README).
    const takers = Array.from({ length: 4 }, () => locker(targetFor(ref), { settleMs: 1000 }));
    const results = await Promise.allSettled(takers.map((l) => l.acquire('apply', { timeoutMs: 0 })));
    // Then one holds it and the others were told who
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockedError);
    expect((await takers[0].current())?.id).toBe(won[0].info.id);
    await won[0].release();
  });

  it('a taker whose lock is overwritten after its write waits like anyone else, and never reports a takeover', async () => {
    // Given a registry where, right after our PUT, another taker's lock lands
    const ref = freshRef();
    let other: LockInfo | undefined;
    const t = targetFor(ref, (r) => ({
      putManifest: async (image, reference, bytes, mediaType) => {
        const put = await r.putManifest(image, reference, bytes, mediaType);
        if (reference === 'main-lock' && !other) other = (await plantLock({ ...t, registry: r }, { host: 'runner-2' })).info;
        return put;
      },
    }));
    const takeovers: LockInfo[] = [];
    const error = await errorOf(locker(t).acquire('apply', { timeoutMs: 100, onTakeover: (o) => takeovers.push(o) }));
    expect(error).toBeInstanceOf(LockedError);
    expect((error as LockedError).holder).toEqual(other);
    expect(takeovers).toEqual([]);
  });

  for (const [how, drop] of [
    ['deletes it', async (r: RegistryBackend, t: OciTarget, digest: string) => { await r.deleteManifest(t.image, digest); }],
    ['overwrites it with a released marker', async (r: RegistryBackend, t: OciTarget) => {
      await putArtifact({ ...t, registry: r }, 'main-lock', await prepareArtifact({ ...t, registry: r }, LOCK_TYPE, new TextEncoder().encode('{}'), { 'dev.mirror.lock.released': 'x' }));
    }],
  ] as const) {
    it(`a registry that ${how} right after our write: tried three times, then an error, not a spin`, async () => {
      const ref = freshRef();
      let puts = 0;
      const t: OciTarget = targetFor(ref, (r) => ({
        putManifest: async (image, reference, bytes, mediaType) => {
          const put = await r.putManifest(image, reference, bytes, mediaType);
          if (reference === 'main-lock') { puts += 1; await drop(r, t, put.digest); }
          return put;
        },
      }));
      const error = await errorOf(locker(t).acquire('apply', { timeoutMs: 5000 }));
      expect(error).toBeInstanceOf(AbortError);
      expect(error!.message).toBe(`Could not take the lock ${repoOf(t)}:main-lock: the registry did not keep it.`);
      expect((error as AbortError).nextSteps).toBe('Run again; if it persists, check that nothing else writes that tag.');
      expect(puts).toBe(3);
    });
  }

  it('taking a free lock reports no takeover; taking over an expired one works without an onTakeover callback', async () => {
    const t = targetFor(freshRef());
    const takeovers: unknown[] = [];
    const first = await locker(t).acquire('apply', { onTakeover: (o) => takeovers.push(o) });
    expect(takeovers).toEqual([]);
    await first.release();
    await plantLock(t, { expires: new Date(Date.now() - 1000).toISOString() });
    const taken = await locker(t).acquire('apply');
    expect((await locker(t).current())?.id).toBe(taken.info.id);
    await taken.release();
  });

  it('names the lock id in the lock manifest, so `skopeo inspect` tells whose it is', async () => {
    const t = targetFor(freshRef());
    const held = await locker(t).acquire('apply');
    const artifact = (await fetchArtifact(t, 'main-lock', LOCK_TYPE))!;
    expect(artifact.manifest.annotations).toMatchObject({ 'dev.mirror.lock.id': held.info.id });
    expect(JSON.parse(Buffer.from(artifact.manifestBytes).toString()).layers[0].annotations).toEqual({ 'org.opencontainers.image.title': 'lock.json' });
    await held.release();
  });

  it('a lock artifact with an expiry but no id is held as unreadable, not as a holder without a name', async () => {
    const t = targetFor(freshRef());
    await putArtifact(t, 'main-lock', await prepareArtifact(t, LOCK_TYPE, new TextEncoder().encode(JSON.stringify({ expires: '2999-01-01T00:00:00Z' }))));
    await expect(locker(t, { leaseMs: 10_000 }).acquire('apply', { timeoutMs: 50 })).rejects.toThrow(/unreadable lock artifact/);
  });

  it('reads a lock manifest without annotations (another writer of the format): its expired lease is taken over', async () => {
    const t = targetFor(freshRef());
    const info = { ...holderInfo('bare', 'apply', 'ci', 60_000), host: 'elsewhere', expires: new Date(Date.now() - 1000).toISOString() };
    const { annotations: _dropped, ...bare } = JSON.parse(Buffer.from(await prepareArtifact(t, LOCK_TYPE, lockContent(info, 'another-machine'))).toString());
    await putArtifact(t, 'main-lock', new TextEncoder().encode(JSON.stringify(bare)));
    const seen: string[] = [];
    const taken = await locker(t).acquire('apply', { onTakeover: (o) => seen.push(o.id) });
    expect(seen).toEqual(['bare']);
    await taken.release();
  });

  it('refuses a tag holding something else with what to do about it', async () => {
    const t = targetFor(freshRef());
    await putArtifact(t, 'main-lock', await prepareArtifact(t, 'application/vnd.example.other', new TextEncoder().encode('{}')));
    const error = await errorOf(locker(t).acquire('apply'));
    expect((error as AbortError).nextSteps).toBe('Choose another state.ref tag, or move that artifact away.');
  });
});

describe('OciLocker: timings', () => {
  it('waits the settle delay it was given, and by default a quarter lease capped at 1 s', async () => {
    // A settle delay of 0 would break last-writer-wins; one of several seconds would slow every command.
    const timed = async (opts: OciLockerOptions) => {
      const l = locker(targetFor(freshRef()), opts);
      const started = Date.now();
      const held = await l.acquire('apply');
      const ms = Date.now() - started;
      await held.release();
      return ms;
    };
    expect(await timed({ settleMs: 15 })).toBeLessThan(900); // not the default lease's 1 s
    const quarter = await timed({ settleMs: undefined, leaseMs: 400 });
    expect(quarter).toBeGreaterThanOrEqual(95);
    expect(quarter).toBeLessThan(900);
  });

  it("stamps a waiter's lease when its lock is written, not when it began waiting", async () => {
    const t = targetFor(freshRef());
    const held = await locker(t).acquire('apply');
    setTimeout(() => void held.release(), 600);
    const next = await locker(targetFor(t.location), { leaseMs: 400 }).acquire('apply', { timeoutMs: 5000 });
    expect(Date.parse(next.info.expires)).toBeGreaterThan(Date.now() + 100); // re-stamped every quarter lease while waiting
    expect(Date.parse((await locker(t).current())!.expires)).toBeGreaterThan(Date.now() + 100);
    await next.release();
  });

  it('a waiter uploads its lock once, not again on every poll', async () => {
    const t = targetFor(freshRef());
    const held = await locker(t).acquire('apply');
    const waiter = targetFor(t.location);
    await errorOf(locker(waiter).acquire('apply', { timeoutMs: 300 })); // ~15 polls
    expect(waiter.registry.stats().byKind['blob:PUT'] ?? 0).toBeLessThanOrEqual(2); // config and layer, once
    await held.release();
  });

  it('renewal replaces the lock and deletes the manifest it replaced', async () => {
    const t = targetFor(freshRef());
    const held = await locker(t, { leaseMs: 150 }).acquire('apply');
    const first = (await headDigest(t, 'main-lock'))!;
    let now = first;
    for (let i = 0; i < 100 && now === first; i++) { await sleep(20); now = (await headDigest(t, 'main-lock'))!; }
    expect(now).not.toBe(first);
    await sleep(50); // the DELETE follows the PUT
    expect(await headDigest(t, first)).toBeUndefined();
    await held.release();
  });

  it('a renewal the registry stored but never confirmed does not stop the renewals after it', async () => {
    // Given a registry that stores the first renewal's PUT of the lock and then answers 503
    const ref = freshRef();
    let puts = 0;
    const t = targetFor(ref, (client) => ({
      putManifest: async (image, reference, bytes, mediaType) => {
        const stored = await client.putManifest(image, reference, bytes, mediaType);
        if (reference === 'main-lock' && ++puts === 2) throw new RegistryUnavailableError(ref, 'Registry answered HTTP 503, still after 4 retries.', 'Run again later.', 503);
        return stored;
      },
    }));
    const held = await locker(t, { leaseMs: 300 }).acquire('apply');
    // When three leases pass
    await sleep(900);
    // Then the holder kept renewing past the failed answer: a peer finds the lock held, not expired
    expect(puts).toBeGreaterThan(3);
    const peer = await errorOf(locker(targetFor(ref)).acquire('apply', { timeoutMs: 0 }));
    expect(peer).toBeInstanceOf(LockedError);
    await held.release();
  });

  it('stop() (the backend closing) ends renewal: the lease then runs out and a peer takes over', async () => {
    const ref = freshRef();
    const l = locker(targetFor(ref), { leaseMs: 600 });
    const held = await l.acquire('apply');
    l.stop();
    await sleep(900); // renewing, the holder would keep it (a renewal every 200 ms)
    const seen: string[] = [];
    const next = await locker(targetFor(ref)).acquire('apply', { timeoutMs: 0, onTakeover: (o) => seen.push(o.id) });
    expect(seen).toEqual([held.info.id]);
    await next.release();
  });
});

describe('OciLocker: release and force-unlock', () => {
  it('force-unlock of a free lock says where the lock would be', async () => {
    const t = targetFor(freshRef());
    const error = await errorOf(locker(t).forceUnlock('x'));
    expect(error!.message).toBe(`State ${t.location} is not locked (no lock in ${repoOf(t)}:main-lock).`);
    expect((error as AbortError).nextSteps).toBe('Nothing to unlock.');
  });

  it('where DELETE is refused: asks once, then writes released markers naming the released lock', async () => {
    const ref = freshRef();
    let deletes = 0;
    const noDelete = (r: RegistryBackend): Partial<RegistryBackend> => ({ deleteManifest: async () => { deletes += 1; throw refused(ref); } });
    const t = targetFor(ref, noDelete);
    const l = locker(t);
    const first = await l.acquire('apply');
    await first.release();
    const marker = (await fetchArtifact(t, 'main-lock', LOCK_TYPE))!;
    expect(marker.manifest.annotations).toMatchObject({ 'dev.mirror.lock.released': first.info.id });
    expect(JSON.parse(Buffer.from(marker.layer!).toString())).toMatchObject({ released: first.info.id });
    const second = await l.acquire('apply');
    await second.release();
    expect(deletes).toBe(1);
    expect(await l.current()).toBeUndefined();
  });

  it('never overwrites with a marker a lock renewed (or removed) between its look and the write', async () => {
    for (const between of ['renewed', 'removed'] as const) {
      // Given a registry without DELETE, where the holder renews right as force-unlock tries to delete
      const ref = freshRef();
      const plain = targetFor(ref);
      const { info } = await plantLock(plain);
      let renewed: string | undefined;
      const t = targetFor(ref, (r) => ({
        deleteManifest: async (image, digest) => {
          if (between === 'renewed') renewed = (await plantLock({ ...plain, registry: r }, { ...info, expires: new Date(Date.now() + 120_000).toISOString() })).digest;
          else await r.deleteManifest(image, digest);
          throw refused(ref);
        },
      }));
      // When force-unlock runs with the right id
      const error = await errorOf(locker(t).forceUnlock(info.id));
      // Then it says the lock changed, and the renewed lock is still there
      expect(error!.message, between).toBe(`The lock on ${ref} changed while unlocking it.`);
      expect((error as AbortError).nextSteps).toBe('Run `mirror force-unlock` again with the ID it reports.');
      expect(await headDigest(plain, 'main-lock'), between).toBe(renewed);
    }
  });

  it('a renewal never overwrites a lock force-unlocked and taken by another run while it uploaded', async () => {
    // Given a holder whose renewal has looked (its own lock) and is uploading its new lock's blobs
    const ref = freshRef();
    let armed = false;
    let next: Awaited<ReturnType<OciLocker['acquire']>> | undefined;
    const t = targetFor(ref, (r) => ({
      putBlob: async (...args: Parameters<RegistryBackend['putBlob']>) => {
        if (armed && args[1] !== EMPTY_DIGEST) {
          // When, right then, the lock is force-unlocked and taken by another run
          armed = false;
          await locker(targetFor(ref)).forceUnlock(first.info.id);
          next = await locker(targetFor(ref)).acquire('apply');
        }
        return r.putBlob(...args);
      },
    }));
    const holder = locker(t, { renewMs: 100 });
    const first = await holder.acquire('apply');
    armed = true;
    for (let i = 0; i < 200 && !next; i++) await sleep(10);
    await sleep(100);
    // Then the tag holds the next run's lock
    expect(next).toBeDefined();
    expect((await locker(targetFor(ref)).current())?.id).toBe(next!.info.id);
    await first.release();
    expect((await locker(targetFor(ref)).current())?.id).toBe(next!.info.id);
    await next!.release();
  });

  it('a lock already deleted by someone else is reported as changed, and DELETE is still used afterwards', async () => {
    const ref = freshRef();
    const { info } = await plantLock(targetFor(ref));
    let raced = false;
    const t = targetFor(ref, (r) => ({
      deleteManifest: async (image, digest) => {
        if (!raced) { raced = true; await r.deleteManifest(image, digest); }
        return r.deleteManifest(image, digest);
      },
    }));
    const l = locker(t);
    await expect(l.forceUnlock(info.id)).rejects.toThrow(`The lock on ${ref} changed while unlocking it.`);
    const held = await l.acquire('apply');
    await held.release();
    expect(await t.registry.listTags(t.image)).toEqual([]); // deleted, no marker
  });

  it('an unavailable registry on DELETE is an error: no marker is written over the lock', async () => {
    const ref = freshRef();
    const plain = targetFor(ref);
    const { info, digest } = await plantLock(plain);
    const t = targetFor(ref, () => ({ deleteManifest: async () => { throw new RegistryUnavailableError(ref, 'The registry answered 503.', undefined, 503); } }));
    await expect(locker(t).forceUnlock(info.id)).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(await headDigest(plain, 'main-lock')).toBe(digest);
  });

  it('a holder stops renewing (and looking) once its lock was force-unlocked to a released marker', async () => {
    const ref = freshRef();
    const noDelete = (): Partial<RegistryBackend> => ({ deleteManifest: async () => { throw refused(ref); } });
    const t = targetFor(ref, noDelete);
    const held = await locker(t, { renewMs: 400 }).acquire('apply');
    // Right after a renewal, so none is in flight: one would write the lock back over the marker
    // (a registry has no compare-and-swap), a live holder's lock surviving its force-unlock.
    await renewed(t);
    await locker(targetFor(ref, noDelete)).forceUnlock(held.info.id);
    await sleep(500); // the next renewal sees the marker and stops
    const before = t.registry.stats().requests;
    await sleep(500);
    expect(t.registry.stats().requests).toBe(before);
    expect(await locker(targetFor(ref)).current()).toBeUndefined();
    await held.release();
  });
});

describe('machineId', () => {
  it('is a 32-hex fingerprint on Linux (where /proc tells boot and pid namespace), the same on every call', () => {
    if (process.platform !== 'linux') return;
    expect(machineFingerprint()).toMatch(/^[0-9a-f]{32}$/);
    expect(machineId()).toBe(machineFingerprint());
  });
});

describe('state backends', () => {
  const configFor = (reg: TestRegistry, ref: string) => ({
    file: '/nonexistent/mirror.config.ts',
    registry: { url: reg.url('mirror'), insecure: true },
    state: { backend: 'oci' as const, path: '/nonexistent/.mirror/state.json', ref },
  });

  it('the file backend is the state file and its lock file beside it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-backend-'));
    const file = path.join(dir, 'state.json');
    const backend = await openStateBackend({ file: path.join(dir, 'mirror.config.ts'), registry: { url: registries.open.url('mirror'), insecure: true }, state: { backend: 'file', path: file } } as ResolvedConfig);
    expect(backend.store).toBeInstanceOf(FileStateStore);
    expect(backend.store.location).toBe(file);
    expect((backend.locker as FileLocker).file).toBe(`${file}.lock`);
    await backend.close();
  });

  it('oci without a ref is a bug (validation lets none through)', async () => {
    const error = await errorOf(openOciBackend({ ...configFor(registries.open, ''), state: { backend: 'oci', path: '/x' } }, { baseDir: '/' }));
    expect(error).toBeInstanceOf(BugError);
    expect(error!.message).toContain("state.backend 'oci' without state.ref");
  });

  it('the oci backend logs in with the docker config of the given env, and names the CI run as the lock holder', async () => {
    // Given credentials only in $DOCKER_CONFIG of the env passed in (not process.env)
    const docker = await mkdtemp(path.join(tmpdir(), 'mirror-docker-'));
    await writeFile(path.join(docker, 'config.json'), JSON.stringify({ auths: { [registries.auth.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    const env = { HOME: '/nonexistent', DOCKER_CONFIG: docker, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'org/repo', GITHUB_RUN_ID: '42' };
    const backend = await openStateBackend(configFor(registries.auth, `${registries.auth.host}/mirror/state:main`) as ResolvedConfig, { env });
    try {
      // Then it writes the state and takes the lock as that run
      expect((await backend.store.write(newState())).serial).toBe(1);
      const held = await backend.locker.acquire('apply');
      expect(held.info.who).toBe('https://github.com/org/repo/actions/runs/42');
      await held.release();
    } finally {
      await backend.close();
    }
  });

  it('close() ends lease renewal with the lock timings given: the lease of a crashed holder runs out', async () => {
    const ref = freshRef();
    const backend = await openOciBackend(configFor(registries.open, ref), { env: ENV, baseDir: '/', lock: { leaseMs: 600, pollMs: 20, settleMs: 15 } });
    const held = await backend.locker.acquire('apply');
    await backend.close(); // the process dies without releasing
    await sleep(900);
    const seen: string[] = [];
    const next = await locker(targetFor(ref)).acquire('apply', { timeoutMs: 0, onTakeover: (o) => seen.push(o.id) });
    expect(seen).toEqual([held.info.id]);
    await next.release();
  });
});
