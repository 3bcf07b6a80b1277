/**
 * The state lock as an OCI artifact under `<tag>-lock`, with a lease renewed while held, so a CI
 * job killed mid-apply frees it by itself. A registry has no compare-and-swap: a taker writes its
 * lock, waits a settle delay, and reads it back; whoever's lock is there then has it (last writer
 * wins), the others wait. That closes the race except for a writer slower than the settle delay,
 * which is why CI should also serialize runs (README: a GitHub Actions concurrency group).
 * The lease, takeover, wait and force-unlock rules are LockCore's.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { AbortError } from '../errors.js';
import { NotFoundError, RegistryError, RegistryUnavailableError } from '../providers/registry/errors.js';
import { AGAIN, holderInfo, LockCore, unreadableHolder, type Attempt, type Held, type LockTimings, type Taking } from './lock-core.js';
import { fetchArtifact, LOCK_TYPE, prepareArtifact, putArtifact, type FetchedArtifact, type OciTarget } from './oci-artifact.js';
import type { LockInfo } from './types.js';

/** Options of an OciLocker: the lease timings (pollMs default 1 s: each look is a registry request) plus the settle delay. */
export interface OciLockerOptions extends LockTimings {
  /** How long after writing its lock a taker reads it back to learn whether it won (default min(1 s, leaseMs/4)). */
  settleMs?: number;
  /** Environment for whoAmI (the GitHub Actions run URL). */
  env?: NodeJS.ProcessEnv;
}

/** Annotation of the marker written on release where the registry refuses DELETE. */
const RELEASED = 'dev.mirror.lock.released';

/** What the lock tag held at one look. */
interface SeenArtifact {
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
export function machineFingerprint(): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidns = readlinkSync('/proc/self/ns/pid');
    return createHash('sha256').update(`${os.hostname()}\n${boot}\n${pidns}`).digest('hex').slice(0, 32);
  } catch {
    return undefined;
  }
}

let machine: string | undefined | null = null;
/** machineFingerprint(), computed once per process. */
export function machineId(): string | undefined {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a per-process cache; once a test worker has filled it, no mutant here changes what it returns (machineFingerprint is tested itself)
  if (machine === null) machine = machineFingerprint();
  return machine;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lock artifact's layer: LockInfo plus the machine fingerprint. */
export function lockContent(info: LockInfo, machineFingerprint = machineId()): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...info, ...(machineFingerprint ? { machine: machineFingerprint } : {}) }, null, 2));
}

/** Lock artifact `REGISTRY/REPO:TAG-lock` (SPEC §5 over a registry). */
export class OciLocker extends LockCore<SeenArtifact> {
  /** Tag of the lock artifact. */
  readonly tag: string;
  private readonly lockRef: string;
  private readonly settleMs: number;
  private last?: SeenArtifact;
  /** Set once the registry refused a DELETE: from then on release writes a marker. */
  private noDelete = false;

  constructor(private readonly target: OciTarget, opts: OciLockerOptions = {}) {
    const lockRef = `${target.registry.repository(target.image)}:${target.tag}-lock`;
    super(target.location, `lock in ${lockRef}`, opts, 1000, opts.env);
    this.tag = `${target.tag}-lock`;
    this.lockRef = lockRef;
    this.settleMs = opts.settleMs ?? Math.min(1000, Math.floor(this.leaseMs / 4));
  }

  /** Undefined when the tag does not exist; `info` undefined for a released marker. */
  protected async read(): Promise<SeenArtifact | undefined> {
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

  private parse(artifact: FetchedArtifact): Omit<SeenArtifact, 'artifact'> {
    if (artifact.manifest.annotations?.[RELEASED] !== undefined) return {};
    try {
      const value = JSON.parse(Buffer.from(artifact.layer ?? '').toString('utf8')) as LockInfo & { machine?: string };
      if (typeof value?.id === 'string' && typeof value.expires === 'string') {
        const { machine: fingerprint, ...info } = value;
        // Stryker disable next-line ConditionalExpression: a fingerprint that is not a string never equals machineId() either
        return { info, machine: typeof fingerprint === 'string' ? fingerprint : undefined };
      }
    } catch { /* fall through */ }
    // A lock artifact whose layer we cannot read: its lease counts from when we first saw it
    // (this object is cached per manifest digest).
    return { info: unreadableHolder(`artifact ${this.lockRef}`, Date.now(), this.leaseMs) };
  }

  /** A pid is checkable where hostname, boot and pid namespace all match (machineId). */
  protected onThisMachine(seen: SeenArtifact): boolean {
    return seen.machine !== undefined && seen.machine === machineId();
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
  protected async remove(seen: SeenArtifact): Promise<boolean> {
    const deleted = await this.deleteDigest(seen.artifact.digest);
    if (deleted !== undefined) return deleted; // false: it changed since we looked
    // Stryker disable next-line OptionalChaining,StringLiteral: remove() only gets a holder's lock (release, force-unlock and takeover check it first)
    const id = seen.info?.id ?? 'unknown';
    const marker = await prepareArtifact(this.target, LOCK_TYPE, new TextEncoder().encode(JSON.stringify({ released: id, time: new Date().toISOString() })), { [RELEASED]: id });
    if ((await this.read())?.artifact.digest !== seen.artifact.digest) return false;
    await putArtifact(this.target, this.tag, marker);
    return true;
  }

  /** Write our lock where it is free or provably abandoned, wait the settle delay, read it back: whoever's lock is there has it. */
  protected taker(t: Taking): () => Promise<Attempt> {
    let prepared: { info: LockInfo; manifest: Uint8Array; at: number } | undefined;
    let vanished = 0;
    return async () => {
      // Blobs are uploaded before the look, so look → PUT is one round trip; re-prepared when
      // a long wait aged it, so a lock is never born (nearly) expired.
      if (!prepared || Date.now() - prepared.at > this.leaseMs / 4) {
        const now = Date.now();
        const info = holderInfo(t.id, t.operation, t.who, this.leaseMs, now);
        prepared = { info, manifest: await this.prepare(info), at: now };
      }
      let seen = await this.read();
      const old = seen?.info && this.stale(seen) ? seen.info : undefined;
      if (!seen?.info || old) {
        await putArtifact(this.target, this.tag, prepared.manifest);
        await sleep(this.settleMs);
        seen = await this.read();
        if (seen?.info?.id === t.id) {
          if (old) t.onTakeover?.(old);
          return { taken: { info: prepared.info, written: seen.artifact.digest } };
        }
        // Another taker's write landed after ours: it has the lock, we wait like anyone else.
        if (!seen?.info) {
          // Free again already (the winner released, or force-unlock): try again, but not forever.
          if (++vanished < 3) return AGAIN;
          throw new AbortError(`Could not take the lock ${this.lockRef}: the registry did not keep it.`, 'Run again; if it persists, check that nothing else writes that tag.');
        }
      }
      return { holder: seen!.info! };
    };
  }

  /**
   * Renewal PUTs a new manifest under the tag; the one it replaces is deleted where the registry
   * allows. Its blobs are uploaded first, then the tag is looked at once more: a force-unlock or a
   * takeover that landed since the renewal's look (during the uploads) is seen and left alone.
   * A registry has no compare-and-swap; this narrows the window to one round trip. The tag is ours
   * while it holds our lock id (not only the digest we last wrote: a PUT the registry stored but
   * never confirmed would otherwise stop every later renewal and let the lease run out).
   */
  protected async rewrite(held: Held, renewed: LockInfo): Promise<void> {
    const manifest = await this.prepare(renewed);
    // Stryker disable next-line OptionalChaining: without them a deleted tag throws here instead, and the renewal is skipped all the same (lock-core ignores a failed renewal)
    if ((await this.read())?.info?.id !== held.info.id) return;
    const previous = held.written;
    held.written = await putArtifact(this.target, this.tag, manifest);
    // Every renewal leaves an untagged manifest behind; drop it where the registry allows.
    // Stryker disable next-line ConditionalExpression,LogicalOperator: held.written is set when the lock is taken, and each renewal's new expiry gives a new digest
    if (previous !== undefined && previous !== held.written) await this.deleteDigest(previous);
  }

  /** Stop renewing every lock this locker holds (the backend is closing; leases then run out). */
  stop(): void {
    this.stopRenewals();
  }
}
