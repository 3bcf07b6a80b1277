/**
 * The state lock as an OCI artifact under `<tag>-lock`, with a lease renewed while held, so a CI
 * job killed mid-apply frees it by itself. A registry has no compare-and-swap: a taker writes its
 * lock, waits a settle delay, and reads it back; whoever's lock is there then has it (last writer
 * wins), the others wait. That closes the race except for a writer slower than the settle delay,
 * which is why CI should also serialize runs (README: a GitHub Actions concurrency group).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { AbortError } from '../errors.js';
import { NotFoundError, RegistryError, RegistryUnavailableError } from '../providers/registry/errors.js';
import { whoAmI } from '../system/who-am-i.js';
import { holderInfo, LockedError, lockWait, pidAlive, unreadableHolder } from './lock.js';
import { fetchArtifact, LOCK_TYPE, prepareArtifact, putArtifact, type FetchedArtifact, type OciTarget } from './oci-artifact.js';
import type { LockHandle, LockInfo, Locker } from './types.js';

/** Options of an OciLocker (FileLockerOptions plus the settle delay). */
export interface OciLockerOptions {
  /** How long a lock stays valid without renewal (default 60 s). */
  leaseMs?: number;
  /** How often a waiting acquire looks again (default 1 s: each look is a registry request). */
  pollMs?: number;
  /** How often a held lock is renewed (default leaseMs/3); 0 never renews, i.e. a holder that hung. */
  renewMs?: number;
  /** How long after writing its lock a taker reads it back to learn whether it won (default min(1 s, leaseMs/4)). */
  settleMs?: number;
  /** Environment for whoAmI (the GitHub Actions run URL). */
  env?: NodeJS.ProcessEnv;
}

/** Annotation of the marker written on release where the registry refuses DELETE. */
const RELEASED = 'dev.mirror.lock.released';

/** What the lock tag held at one look. */
interface SeenLock {
  artifact: FetchedArtifact;
  /** The holder; undefined for a released marker (the lock is free). */
  info?: LockInfo;
  /** Fingerprint of the holder's machine and pid namespace (see machineId). */
  machine?: string;
}

/**
 * This machine and pid namespace (hostname, boot id, pid namespace), hashed: a pid is only
 * checkable where all three match. Undefined off Linux: the lease alone decides there.
 */
let machine: string | undefined | null = null;
export function machineId(): string | undefined {
  if (machine === null) {
    try {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const pidns = readlinkSync('/proc/self/ns/pid');
      machine = createHash('sha256').update(`${os.hostname()}\n${boot}\n${pidns}`).digest('hex').slice(0, 32);
    } catch {
      machine = undefined;
    }
  }
  return machine;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lock artifact's layer: LockInfo plus the machine fingerprint. */
export function lockContent(info: LockInfo, machineFingerprint = machineId()): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...info, ...(machineFingerprint ? { machine: machineFingerprint } : {}) }, null, 2));
}

/** Lock artifact `REGISTRY/REPO:TAG-lock` (SPEC §5 over a registry). */
export class OciLocker implements Locker {
  /** Tag of the lock artifact. */
  readonly tag: string;
  private readonly lockRef: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly renewMs: number;
  private readonly settleMs: number;
  private last?: SeenLock;
  /** Set once the registry refused a DELETE: from then on release writes a marker. */
  private noDelete = false;
  private readonly renewals = new Set<() => void>();

  constructor(private readonly target: OciTarget, private readonly opts: OciLockerOptions = {}) {
    this.tag = `${target.tag}-lock`;
    this.lockRef = `${target.registry.repository(target.image)}:${this.tag}`;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.renewMs = opts.renewMs ?? Math.max(10, Math.floor(this.leaseMs / 3));
    this.settleMs = opts.settleMs ?? Math.min(1000, Math.floor(this.leaseMs / 4));
  }

  /** The holder, or undefined when the lock is free. */
  async current(): Promise<LockInfo | undefined> {
    return (await this.read())?.info;
  }

  /** Undefined when the tag does not exist; `info` undefined for a released marker. */
  private async read(): Promise<SeenLock | undefined> {
    const artifact = await fetchArtifact(this.target, this.tag, LOCK_TYPE, this.last?.artifact);
    if (!artifact) return undefined;
    if (artifact === this.last?.artifact) return this.last;
    if (artifact.manifest.artifactType !== LOCK_TYPE) {
      // Taking over (overwriting) or unlocking (deleting) it could destroy someone's image.
      throw new AbortError(`Tag ${this.lockRef} holds something that is not a mirror lock (${artifact.problem}); mirror will not touch it.`,
        'Choose another state.ref tag, or move that artifact away.');
    }
    this.last = { artifact, ...this.parse(artifact) };
    return this.last;
  }

  private parse(artifact: FetchedArtifact): Omit<SeenLock, 'artifact'> {
    if (artifact.manifest.annotations?.[RELEASED] !== undefined) return {};
    try {
      const value = JSON.parse(Buffer.from(artifact.layer ?? '').toString('utf8')) as LockInfo & { machine?: string };
      if (typeof value?.id === 'string' && typeof value.expires === 'string') {
        const { machine: fingerprint, ...info } = value;
        return { info, machine: typeof fingerprint === 'string' ? fingerprint : undefined };
      }
    } catch { /* fall through */ }
    // A lock artifact whose layer we cannot read: its lease counts from when we first saw it
    // (this object is cached per manifest digest).
    return { info: unreadableHolder(`artifact ${this.lockRef}`, Date.now(), this.leaseMs) };
  }

  private stale(seen: SeenLock): boolean {
    const { info } = seen;
    if (!info) return false;
    if (!(Date.parse(info.expires) >= Date.now())) return true; // expired, or an unparsable date
    return seen.machine !== undefined && seen.machine === machineId() && info.pid > 0 && !pidAlive(info.pid);
  }

  private async prepare(info: LockInfo): Promise<Uint8Array> {
    return prepareArtifact(this.target, LOCK_TYPE, lockContent(info), { 'dev.mirror.lock.id': info.id }, 'lock.json');
  }

  /** DELETE a manifest by digest: false when it is not there; undefined when this registry refuses deletes. */
  private async deleteDigest(digest: string): Promise<boolean | undefined> {
    if (this.noDelete) return undefined;
    try {
      await this.target.registry.deleteManifest(this.target.image, digest);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      if (!(error instanceof RegistryError) || error instanceof RegistryUnavailableError) throw error;
      this.noDelete = true; // 405 UNSUPPORTED (ghcr.io, Docker Hub), or a token without delete scope
      return undefined;
    }
  }

  /**
   * Remove the lock `seen` if the tag still holds exactly it. DELETE by digest is a conditional
   * delete for free: a lock written since has another digest and is left alone. Registries that
   * refuse DELETE get a released marker instead, after one last look.
   */
  private async remove(seen: SeenLock): Promise<boolean> {
    const deleted = await this.deleteDigest(seen.artifact.digest);
    if (deleted !== undefined) return deleted; // false: it changed since we looked
    const id = seen.info?.id ?? 'unknown';
    const marker = await prepareArtifact(this.target, LOCK_TYPE, new TextEncoder().encode(JSON.stringify({ released: id, time: new Date().toISOString() })), { [RELEASED]: id });
    if ((await this.read())?.artifact.digest !== seen.artifact.digest) return false;
    await putArtifact(this.target, this.tag, marker);
    return true;
  }

  /** Take the lock, waiting up to timeoutMs; expired leases and dead same-machine pids are taken over. */
  async acquire(operation: string, opts: { timeoutMs?: number; onTakeover?: (old: LockInfo) => void; signal?: AbortSignal } = {}): Promise<LockHandle> {
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    const id = randomUUID();
    const who = whoAmI(this.opts.env);
    let prepared: { info: LockInfo; manifest: Uint8Array; at: number } | undefined;
    let vanished = 0;
    for (;;) {
      // Blobs are uploaded before the look, so look → PUT is one round trip; re-prepared when
      // a long wait aged it, so a lock is never born (nearly) expired.
      if (!prepared || Date.now() - prepared.at > this.leaseMs / 4) {
        const now = Date.now();
        const info = holderInfo(id, operation, who, this.leaseMs, now);
        prepared = { info, manifest: await this.prepare(info), at: now };
      }
      let seen = await this.read();
      const old = seen?.info && this.stale(seen) ? seen.info : undefined;
      if (!seen?.info || old) {
        await putArtifact(this.target, this.tag, prepared.manifest);
        await sleep(this.settleMs);
        seen = await this.read();
        if (seen?.info?.id === id) {
          if (old) opts.onTakeover?.(old);
          return this.handle(prepared.info, seen.artifact.digest);
        }
        // Another taker's write landed after ours: it has the lock, we wait like anyone else.
        if (!seen?.info) {
          // Free again already (the winner released, or force-unlock): try again, but not forever.
          if (++vanished < 3) continue;
          throw new AbortError(`Could not take the lock ${this.lockRef}: the registry did not keep it.`, 'Run again; if it persists, check that nothing else writes that tag.');
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new LockedError(this.target.location, seen!.info!);
      await lockWait(Math.min(this.pollMs, left), opts.signal, seen!.info!);
    }
  }

  private handle(info: LockInfo, digest: string): LockHandle {
    let stopped = false;
    let current = digest;
    let inflight: Promise<void> = Promise.resolve();
    const stop = () => {
      stopped = true;
      clearInterval(timer);
      this.renewals.delete(stop);
    };
    const renew = async () => {
      const seen = await this.read();
      if (stopped) return;
      // Force-unlocked or taken over after our lease lapsed: never write a lock we no longer own.
      if (seen?.info?.id !== info.id) return stop();
      const manifest = await this.prepare({ ...info, expires: new Date(Date.now() + this.leaseMs).toISOString() });
      const previous = current;
      current = await putArtifact(this.target, this.tag, manifest);
      // Every renewal leaves an untagged manifest behind; drop it where the registry allows.
      if (previous !== current) await this.deleteDigest(previous);
    };
    const timer = setInterval(() => {
      if (!stopped) inflight = inflight.then(renew).catch(() => undefined);
    }, this.renewMs > 0 ? this.renewMs : 2 ** 31 - 1);
    timer.unref();
    this.renewals.add(stop);
    return {
      info,
      release: async () => {
        stop();
        await inflight; // a renewal in flight would otherwise rewrite the lock after we remove it
        const seen = await this.read();
        if (seen?.info?.id === info.id) await this.remove(seen);
      },
    };
  }

  /** Remove the lock if its id is `id` (`mirror force-unlock`); otherwise say which id is held. */
  async forceUnlock(id: string): Promise<void> {
    const seen = await this.read();
    if (!seen?.info) throw new AbortError(`State ${this.target.location} is not locked (no lock in ${this.lockRef}).`, 'Nothing to unlock.');
    if (seen.info.id !== id) {
      throw new AbortError(
        `Lock ID ${id} does not match the lock held on ${this.target.location} (lock ID ${seen.info.id}, by ${seen.info.who}).`,
        `Check that holder is gone, then run: mirror force-unlock ${seen.info.id}`,
      );
    }
    if (!(await this.remove(seen))) {
      throw new AbortError(`The lock on ${this.target.location} changed while unlocking it.`, 'Run `mirror force-unlock` again with the ID it reports.');
    }
  }

  /** Stop renewing every lock this locker holds (the backend is closing; leases then run out). */
  stop(): void {
    for (const stop of [...this.renewals]) stop();
  }
}
