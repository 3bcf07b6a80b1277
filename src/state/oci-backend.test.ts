import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { pushTestImage } from '../../test/rig/oci.js';
import type { TestRegistry } from '../../test/rig/registry.js';
import { useRegistryPair } from '../../test/rig/registry-pair.js';
import type { ResolvedConfig } from '../config/model.js';
import { AbortError, StateError } from '../errors.js';
import { RegistryError, UnauthorizedError } from '../providers/registry/errors.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import type { RegistryBackend } from '../providers/registry/types.js';
import { openStateBackend } from './backend.js';
import { describeStoreConformance } from '../../test/state/conformance.js';
import { LockedError } from './lock-core.js';
import { newState } from './new-state.js';
import { fetchArtifact, LOCK_TYPE, parseStateRef, prepareArtifact, putArtifact, STATE_TYPE, type OciTarget } from './oci-artifact.js';
import { openOciBackend } from './oci-backend.js';
import { lockContent, machineId, OciLocker, type OciLockerOptions } from './oci-lock.js';
import { OciStateStore } from './oci-store.js';
import type { LockInfo, State } from './types.js';

const USER = 'mirror-state-user';
const PASSWORD = 'pw-7Hq2-never-stored';
const ENV = { HOME: '/nonexistent' }; // no docker config: only what the test gives

const registries = useRegistryPair({ username: USER, password: PASSWORD });

// One repository per case: cases share the registry, never the state.
let repos = 0;
const freshRef = (tag = 'main') => `${registries.open.host}/mirror/state-${++repos}:${tag}`;

const clients: RegistryBackend[] = [];
/** A target with its own registry client: another process's view of the same ref. */
function targetFor(ref: string, wrap: (r: RegistryBackend) => RegistryBackend = (r) => r): OciTarget {
  const { settings, image, tag } = parseStateRef(ref, { url: registries.open.url('mirror'), insecure: true });
  const client = createRegistryBackend(settings, { env: ENV, retryBaseMs: 5 });
  clients.push(client);
  return { registry: wrap(client), image, tag, location: ref };
}
afterAll(async () => { await Promise.all(clients.map((c) => c.close())); });

const FAST: OciLockerOptions = { pollMs: 20, settleMs: 15 };
const locker = (target: OciTarget, opts: OciLockerOptions = {}) => new OciLocker(target, { ...FAST, ...opts });

function withResource(s: State, version: string): State {
  const now = new Date().toISOString();
  return { ...s, resources: { ...s.resources, [`a@${version}`]: { type: 'index', app: 'a', image: 'a', version, digest: `sha256:${'a'.repeat(64)}`, createdAt: now, updatedAt: now } } };
}

const headDigest = async (t: OciTarget, tag: string) => (await t.registry.headManifest(t.image, tag))?.digest;

describeStoreConformance('OciStateStore + OciLocker', async () => {
  const ref = freshRef();
  const lockers: OciLocker[] = [];
  const track = (l: OciLocker) => { lockers.push(l); return l; };
  return {
    store: new OciStateStore(targetFor(ref)),
    locker: track(locker(targetFor(ref))),
    peer: (o = {}) => track(locker(targetFor(ref), { leaseMs: o.leaseMs, renewMs: o.renew === false ? 0 : undefined })),
    cleanup: async () => { for (const l of lockers) l.stop(); },
  };
});

describe('state ref', () => {
  const main = { url: '127.0.0.1:5000/mirror', insecure: true, username: USER, password: PASSWORD };

  it('borrows insecure and credentials from registry only for the same host', () => {
    expect(parseStateRef('127.0.0.1:5000/ops/mirror/state:main', main)).toEqual({
      settings: { url: '127.0.0.1:5000/ops/mirror', insecure: true, username: USER, password: PASSWORD }, image: 'state', tag: 'main' });
    expect(parseStateRef('ghcr.io/org/state:ci', main)).toEqual({ settings: { url: 'ghcr.io/org', insecure: false }, image: 'state', tag: 'ci' });
    expect(parseStateRef('127.0.0.1:5000/state:main', main).settings.url).toBe('127.0.0.1:5000');
  });

  it('accepts the ref with a URL scheme or surrounding spaces, and a tag of exactly the longest length', () => {
    const plain = parseStateRef('127.0.0.1:5000/ops/mirror/state:main', main);
    for (const spelled of ['http://127.0.0.1:5000/ops/mirror/state:main', 'https://127.0.0.1:5000/ops/mirror/state:main', 'docker://127.0.0.1:5000/ops/mirror/state:main', '  127.0.0.1:5000/ops/mirror/state:main\n']) {
      expect(parseStateRef(spelled, main), spelled).toEqual(plain);
    }
    expect(parseStateRef(`ghcr.io/org/state:${'t'.repeat(121)}`, main).tag).toHaveLength(121);
    expect(() => parseStateRef(`ghcr.io/org/state:${'t'.repeat(122)}`, main)).toThrow(/longer than 121/);
  });

  it('refuses oci: directories, missing tags, digests and user:password@ without echoing them', () => {
    expect(() => parseStateRef('oci:./.mirror/state', main)).toThrow(/OCI layout directory/);
    expect(() => parseStateRef('ghcr.io/org/state', main)).toThrow(/has no tag/);
    expect(() => parseStateRef(`ghcr.io/org/state:${'t'.repeat(125)}`, main)).toThrow(/longer than 121/);
    const leaked = (() => { try { parseStateRef(`me:${PASSWORD}@ghcr.io/org/state:main`, main); } catch (e) { return e as Error; } })();
    expect(leaked).toBeInstanceOf(AbortError);
    expect(leaked!.message).not.toContain(PASSWORD);
  });
});

describe('OciStateStore', () => {
  it('refuses a write when another store wrote after this one read (digests named), keeping the first write', async () => {
    const ref = freshRef();
    const [a, b] = [new OciStateStore(targetFor(ref)), new OciStateStore(targetFor(ref))];
    await a.write(newState());
    const t = targetFor(ref);
    const before = await headDigest(t, 'main');
    const [sa, sb] = [(await a.read())!, (await b.read())!];
    const first = await a.write(withResource(sa, '1.0.0'));
    const after = await headDigest(t, 'main');
    const refused = await b.write(withResource(sb, '2.0.0')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateError);
    expect((refused as Error).message).toBe(`State artifact ${ref} changed between read and write (${before} → ${after}).`);
    expect((refused as StateError).nextSteps).toMatch(/run the command again/);
    expect(await headDigest(t, 'main')).toBe(after);
    expect(await new OciStateStore(t).read()).toEqual(first);
  });

  it('refuses when the tag moves between its last look and the PUT', async () => {
    const ref = freshRef();
    // Another location string: stores of one location in one process queue their writes, and
    // this writer must play another process, landing in the middle of ours.
    const other = new OciStateStore({ ...targetFor(ref), location: `${ref} (another process)` });
    const seed = await other.write(newState());
    let raced = false;
    // The race, made certain: the other writer lands right before our pre-PUT HEAD.
    const target = targetFor(ref, (r) => Object.assign(Object.create(r) as RegistryBackend, {
      headManifest: async (image: string, reference: string) => {
        if (reference === 'main' && !raced) { raced = true; await other.write(withResource(seed, '1.0.0')); }
        return r.headManifest(image, reference);
      },
    }));
    const store = new OciStateStore(target);
    const read = (await store.read())!;
    const error = await store.write(withResource(read, '2.0.0')).catch((e: unknown) => e);
    expect(raced).toBe(true);
    expect((error as Error).message).toMatch(/changed between read and write \(sha256:[a-f0-9]{64} → sha256:[a-f0-9]{64}\)/);
    expect(Object.keys((await other.read())!.resources)).toEqual(['a@1.0.0']);
  });

  it('downloads the state layer once, not again before each of its own writes (apply writes after every step)', async () => {
    // Given a state written by another store
    const ref = freshRef();
    await new OciStateStore(targetFor(ref)).write(newState());
    const t = targetFor(ref);
    const store = new OciStateStore(t);
    // When this store reads it, then writes three times
    let state = (await store.read())!;
    for (const version of ['1.0.0', '1.0.1', '1.0.2']) state = await store.write(withResource(state, version));
    // Then the layer was fetched by the read only, and the tag holds the last write
    expect(t.registry.stats().byKind['blob:GET']).toBe(1);
    expect(await new OciStateStore(targetFor(ref)).read()).toEqual(state);
  });

  it('keeps the previous state under TAG-backup by re-tagging its manifest (no blob upload)', async () => {
    const ref = freshRef();
    const t = targetFor(ref);
    const store = new OciStateStore(t);
    const first = await store.write(newState());
    const firstDigest = await headDigest(t, 'main');
    expect(await headDigest(t, 'main-backup')).toBeUndefined();
    const puts = t.registry.stats().byKind['blob:PUT'] ?? 0;
    const second = await store.write(withResource(first, '1.0.0'));
    expect((t.registry.stats().byKind['blob:PUT'] ?? 0) - puts).toBe(1); // the new state layer only
    expect(await headDigest(t, 'main-backup')).toBe(firstDigest);
    expect(await new OciStateStore(targetFor(ref.replace(/:main$/, ':main-backup'))).read()).toEqual(first);
    expect(await store.read()).toEqual(second);
  });

  it('replace (state push) stores the state as is over any lineage, the previous one becoming TAG-backup; annotations name it', async () => {
    const ref = freshRef();
    const t = targetFor(ref);
    const store = new OciStateStore(t);
    const pushed = { ...newState(), serial: 7, lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11' };
    expect(await store.replace(pushed)).toEqual(pushed);
    expect(await headDigest(t, 'main-backup')).toBeUndefined();
    const firstDigest = await headDigest(t, 'main');
    const other = { ...newState(), serial: 1 };
    await store.replace(other);
    expect(await new OciStateStore(targetFor(ref)).read()).toEqual(other);
    expect(await headDigest(t, 'main-backup')).toBe(firstDigest);
    const manifest = JSON.parse(Buffer.from((await t.registry.getManifest(t.image, 'main')).bytes).toString());
    expect(manifest.annotations).toMatchObject({ 'dev.mirror.state.serial': '1', 'dev.mirror.state.lineage': other.lineage });
  });

  it('stores an OCI 1.1 artifact: empty config, one state layer, artifactType', async () => {
    const ref = freshRef();
    const t = targetFor(ref);
    await new OciStateStore(t).write(newState());
    const manifest = JSON.parse(Buffer.from((await t.registry.getManifest(t.image, 'main')).bytes).toString());
    expect(manifest).toMatchObject({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: STATE_TYPE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 },
      layers: [{ mediaType: STATE_TYPE, annotations: { 'org.opencontainers.image.title': 'state.json' } }],
    });
  });

  it('a corrupt artifact is an error naming the ref and the backup, and write never overwrites it', async () => {
    const ref = freshRef();
    const t = targetFor(ref);
    const store = new OciStateStore(t);
    const first = await store.write(newState());
    const second = await store.write(first);
    const corrupt = await putArtifact(t, 'main', await prepareArtifact(t, STATE_TYPE, new TextEncoder().encode('{"formatVersion": 1, trunc')));
    const error = await new OciStateStore(t).read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(new RegExp(`^State artifact ${ref} is corrupt: not valid JSON .*; the previous state is in ${registries.open.host}/mirror/state-\\d+:main-backup\\.$`));
    expect((error as StateError).nextSteps).toMatch(/skopeo copy docker:\/\/.*:main-backup docker:\/\/.*:main\b/);
    await expect(store.write(second)).rejects.toThrow(/is corrupt/);
    expect(await headDigest(t, 'main')).toBe(corrupt);
  });

  it('a tag holding something else (an image) is corrupt state, without backup named when there is none', async () => {
    const ref = freshRef();
    const t = targetFor(ref);
    await pushTestImage(t.registry, t.image, { architecture: 'amd64', tag: 'main' });
    const error = await new OciStateStore(t).read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(/is corrupt: it is not a application\/vnd\.mirror\.state\.v1\+json artifact .* and there is no backup \(.*:main-backup\)\.$/);
    await expect(new OciStateStore(t).write(newState())).rejects.toBeInstanceOf(StateError);
  });
});

describe('OciLocker', () => {
  it('takes over a lease that expired, handing the old holder to onTakeover', async () => {
    const ref = freshRef();
    const old = await locker(targetFor(ref), { leaseMs: 100, renewMs: 0 }).acquire('apply');
    await new Promise((r) => setTimeout(r, 150));
    const seen: LockInfo[] = [];
    const taken = await locker(targetFor(ref)).acquire('plan', { timeoutMs: 0, onTakeover: (o) => seen.push(o) });
    expect(seen).toEqual([old.info]);
    expect(seen[0]).toMatchObject({ operation: 'apply', host: os.hostname(), pid: process.pid });
    await taken.release();
  });

  it('renews the lease while held, so a waiter times out instead of taking over', async () => {
    const ref = freshRef();
    // Lease long enough that one renewal (GET, PUT, DELETE) fits in it on a busy CI box; waiting
    // over two leases still proves the holder renewed.
    const held = await locker(targetFor(ref), { leaseMs: 600 }).acquire('apply');
    await new Promise((r) => setTimeout(r, 1400));
    await expect(locker(targetFor(ref)).acquire('plan', { timeoutMs: 0 })).rejects.toBeInstanceOf(LockedError);
    await held.release();
  });

  it('takes over at once a lock of a dead pid on this machine, not one of another machine', async () => {
    if (!machineId()) return; // no /proc: the lease alone decides
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const lockOf = async (t: OciTarget, machine: string) => {
      const now = Date.now();
      const info: LockInfo = { id: `dead-${machine}`, operation: 'apply', who: 'ci', host: os.hostname(), pid: dead, created: new Date(now).toISOString(), expires: new Date(now + 60_000).toISOString() };
      await putArtifact(t, 'main-lock', await prepareArtifact(t, LOCK_TYPE, lockContent(info, machine)));
      return info;
    };
    const here = targetFor(freshRef());
    const info = await lockOf(here, machineId()!);
    const seen: LockInfo[] = [];
    const taken = await locker(here).acquire('apply', { onTakeover: (o) => seen.push(o) });
    expect(seen).toEqual([info]);
    await taken.release();
    const elsewhere = targetFor(freshRef());
    await lockOf(elsewhere, 'another-machine');
    await expect(locker(elsewhere).acquire('apply')).rejects.toBeInstanceOf(LockedError);
  });

  it('does not take over a running lease with no machine fingerprint, or whose pid is not a process id', async () => {
    // Both would otherwise read as "a dead holder on this machine" and lose the holder's state write.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const plant = async (pid: number, machine: string | undefined) => {
      const t = targetFor(freshRef());
      const now = Date.now();
      const info: LockInfo = { id: `odd-${pid}`, operation: 'apply', who: 'ci', host: os.hostname(), pid, created: new Date(now).toISOString(), expires: new Date(now + 60_000).toISOString() };
      await putArtifact(t, 'main-lock', await prepareArtifact(t, LOCK_TYPE, lockContent(info, machine ?? '')));
      return t;
    };
    await expect(locker(await plant(dead, undefined)).acquire('apply')).rejects.toBeInstanceOf(LockedError);
    if (machineId()) {
      for (const pid of [-2_147_483_647, 0]) await expect(locker(await plant(pid, machineId()!)).acquire('apply'), String(pid)).rejects.toBeInstanceOf(LockedError);
    }
  });

  it('a lock artifact whose JSON lacks id or expires is held like an unreadable one, not taken as expired', async () => {
    for (const body of [{ who: 'ci' }, { id: 'x' }, null]) {
      const t = targetFor(freshRef());
      await putArtifact(t, 'main-lock', await prepareArtifact(t, LOCK_TYPE, new Uint8Array(Buffer.from(JSON.stringify(body)))));
      await expect(locker(t, { leaseMs: 10_000 }).acquire('apply', { timeoutMs: 50 }), JSON.stringify(body)).rejects.toThrow(/unreadable lock artifact/);
    }
  });

  it('release deletes only its own lock by digest, leaving no tag behind', async () => {
    const t = targetFor(freshRef());
    const held = await locker(t).acquire('apply');
    expect(await t.registry.listTags(t.image)).toEqual(['main-lock']);
    await held.release();
    expect(await t.registry.listTags(t.image)).toEqual([]);
  });

  it('where the registry refuses DELETE, release and force-unlock write a released marker', async () => {
    const ref = freshRef();
    const noDelete = (r: RegistryBackend) => Object.assign(Object.create(r) as RegistryBackend, {
      deleteManifest: async () => { throw new RegistryError(ref, 'The operation is unsupported.', undefined, 405); },
    });
    const a = locker(targetFor(ref, noDelete));
    const held = await a.acquire('apply');
    await held.release();
    const t = targetFor(ref);
    expect(await headDigest(t, 'main-lock')).toBeDefined(); // the marker
    expect(await a.current()).toBeUndefined();
    const next = await locker(targetFor(ref, noDelete)).acquire('apply', { timeoutMs: 0 });
    await a.forceUnlock(next.info.id);
    expect(await locker(t).current()).toBeUndefined();
    await next.release(); // no longer its lock: leaves the marker as it is
  });

  it('an unreadable lock artifact is held for one lease from when it was first seen, then taken over', async () => {
    const t = targetFor(freshRef());
    await putArtifact(t, 'main-lock', await prepareArtifact(t, LOCK_TYPE, new TextEncoder().encode('garbage')));
    const l = locker(t, { leaseMs: 300 });
    const error = await l.acquire('apply').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toMatch(/locked by an unreadable lock artifact .*:main-lock .*lock ID unreadable/);
    const seen: LockInfo[] = [];
    const taken = await l.acquire('apply', { timeoutMs: 2000, onTakeover: (o) => seen.push(o) });
    expect(seen.map((o) => o.id)).toEqual(['unreadable']);
    await taken.release();
  });

  it('never takes over or deletes a lock tag that holds something else', async () => {
    const t = targetFor(freshRef());
    const image = await pushTestImage(t.registry, t.image, { architecture: 'amd64', tag: 'main-lock' });
    await expect(locker(t).acquire('apply')).rejects.toThrow(/is not a mirror lock.*will not touch it/);
    await expect(locker(t).forceUnlock('x')).rejects.toBeInstanceOf(AbortError);
    expect(await headDigest(t, 'main-lock')).toBe(image.digest);
  });
});

describe('openOciBackend', () => {
  // Only what the backends read: the rest of ResolvedConfig is not theirs to depend on.
  const configFor = (reg: TestRegistry, ref: string, creds: { username?: string; password?: string } = {}) => ({
    file: '/nonexistent/mirror.config.ts',
    registry: { url: reg.url('mirror'), insecure: true, ...creds },
    state: { backend: 'oci' as const, path: '/nonexistent/.mirror/state.json', ref },
  });

  it('is what openStateBackend opens for backend oci', async () => {
    const backend = await openStateBackend(configFor(registries.open, freshRef()) as ResolvedConfig, { env: ENV });
    try {
      expect(backend.store).toBeInstanceOf(OciStateStore);
      expect(backend.locker).toBeInstanceOf(OciLocker);
      expect(await backend.store.read()).toBeUndefined();
    } finally {
      await backend.close();
    }
  });

  it('uses the registry credentials (htpasswd) and never stores them', async () => {
    const ref = `${registries.auth.host}/mirror/state:main`;
    const backend = await openOciBackend(configFor(registries.auth, ref, { username: USER, password: PASSWORD }), { env: ENV, baseDir: '/', lock: FAST });
    try {
      const lock = await backend.locker.acquire('apply');
      const first = await backend.store.write(newState());
      await backend.store.write(withResource(first, '1.0.0'));
      // Every artifact mirror wrote, manifest and layer, read back raw
      const t = backend.store.target;
      const stored: string[] = [];
      for (const [tag, type] of [['main', STATE_TYPE], ['main-backup', STATE_TYPE], ['main-lock', LOCK_TYPE]]) {
        const artifact = (await fetchArtifact(t, tag, type))!;
        expect(artifact.problem).toBeUndefined();
        stored.push(Buffer.from(artifact.manifestBytes).toString(), Buffer.from(artifact.layer!).toString());
      }
      for (const text of stored) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(USER);
      }
      await lock.release();
    } finally {
      await backend.close();
    }
    // And wrong credentials fail with a registry error that does not carry the password
    const wrong = await openOciBackend(configFor(registries.auth, ref, { username: USER, password: 'wrong-password' }), { env: ENV, baseDir: '/' });
    try {
      const error = await wrong.store.read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as Error).message).not.toContain('wrong-password');
    } finally {
      await wrong.close();
    }
  });
});

describe('state ref messages (issue 20)', () => {
  const main = { url: '127.0.0.1:5000/mirror', insecure: true };
  const refusal = (ref: string) => { try { parseStateRef(ref, main); } catch (e) { return e as AbortError; } return undefined; };
  const example = "Example: state: { backend: 'oci', ref: 'ghcr.io/my-org/mirror/state:main' }.";

  it('says what to use instead, and refuses a URL scheme anywhere but at the start', () => {
    expect(refusal('oci:./.mirror/state')!.nextSteps).toBe(`A directory is local anyway: use state: { path: '.mirror/state.json' }, or a registry ref. ${example}`);
    const at = refusal('ghcr.io/org/state@sha256:abc')!;
    expect(at.message).toBe('state.ref must be REGISTRY/REPO:TAG without "@" (no digest, no user:password@).');
    expect(at.nextSteps).toBe(`Credentials come from registry.username/password or the docker config. ${example}`);
    const long = refusal(`ghcr.io/org/state:${'t'.repeat(122)}`)!;
    expect(long.message).toMatch(/has a tag longer than 121 characters; mirror appends -backup and -lock to it\.$/);
    expect(long.nextSteps).toBe(example);
    const garbage = refusal('ghcr.io/org/state:https://main')!;
    expect(garbage.message).toBe('state.ref "ghcr.io/org/state:https://main" is not REGISTRY/REPO:TAG.');
    expect(garbage.nextSteps).toBe(example);
  });
});

describe('OciStateStore edges (issue 20)', () => {
  it('reads undefined again and again while there is no state, and again once the tag is deleted', async () => {
    const t = targetFor(freshRef());
    const store = new OciStateStore(t);
    expect(await store.read()).toBeUndefined();
    expect(await store.read()).toBeUndefined();
    await store.write(newState());
    await t.registry.deleteManifest(t.image, (await headDigest(t, 'main'))!);
    expect(await store.read()).toBeUndefined();
  });

  it('a store that never read writes the successor of the stored state (the serial check guards it)', async () => {
    const ref = freshRef();
    const first = await new OciStateStore(targetFor(ref)).write(newState());
    const second = await new OciStateStore(targetFor(ref)).write(withResource(first, '1.0.0'));
    expect(second.serial).toBe(2);
    await expect(new OciStateStore(targetFor(ref)).write(withResource(first, '2.0.0'))).rejects.toThrow(/serial 1 → 2/);
  });

  it('a corrupt artifact without a backup says how to inspect it', async () => {
    const ref = freshRef();
    const t = targetFor(ref);
    await putArtifact(t, 'main', await prepareArtifact(t, STATE_TYPE, new TextEncoder().encode('{')));
    const error = (await new OciStateStore(t).read().catch((e: unknown) => e)) as StateError;
    expect(error.nextSteps).toBe(`Inspect it (skopeo inspect --raw docker://${registries.open.host}/mirror/${t.image}:main), then push a good state there or delete the tag; mirror will not overwrite it.`);
  });
});
