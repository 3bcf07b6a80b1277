/**
 * The state as an OCI artifact under a tag (SPEC §5, `state.backend: oci`), for CI runners that
 * share no disk. Same contract as FileStateStore (serial and lineage checks, a backup, never
 * overwrite what cannot be parsed) plus an optimistic check: a registry has no compare-and-swap,
 * so the tag is HEADed right before the PUT and the write is refused if it moved since we read.
 */
import { StateError } from '../errors.js';
import { corruptStateMessage } from './file-store.js';
import { readStateText, type ReadResult } from './format.js';
import { fetchArtifact, prepareArtifact, putArtifact, STATE_TYPE, type ArtifactManifest, type FetchedArtifact, type OciTarget } from './oci-artifact.js';
import { StateSchema, type State, type StateStore, type WriteOptions } from './types.js';
import { assertInScope, assertSuccessor, serialized, successorOf } from './write-guard.js';

/** How messages name the tag's digest when it did not exist. */
const ABSENT = 'none (no state yet)';

interface RawState {
  artifact: FetchedArtifact;
  state: State;
}

const digestOf = (raw: RawState | null | undefined) => raw?.artifact.digest ?? ABSENT;

/** The state artifact `REGISTRY/REPO:TAG`, its previous version under `TAG-backup`. */
export class OciStateStore implements StateStore {
  readonly location: string;
  /** Ref of the backup tag, for messages. */
  readonly backupRef: string;
  readonly backupTag: string;
  /** `host/repo:tag` however the ref was written, for commands in messages. */
  private readonly ref: string;
  /** The artifact and state at this store's last read or write (null: there was none); undefined before any. */
  private last?: RawState | null;

  constructor(readonly target: OciTarget) {
    this.location = target.location;
    this.backupTag = `${target.tag}-backup`;
    this.ref = `${target.registry.repository(target.image)}:${target.tag}`;
    this.backupRef = `${target.registry.repository(target.image)}:${this.backupTag}`;
  }

  async read(): Promise<State | undefined> {
    const raw = await this.readRaw();
    this.last = raw ?? null;
    return raw && structuredClone(raw.state);
  }

  private async existingBackup(): Promise<string | undefined> {
    return (await this.target.registry.headManifest(this.target.image, this.backupTag).catch(() => undefined)) ? this.backupRef : undefined;
  }

  private async readRaw(): Promise<RawState | undefined> {
    // Apply writes after every step, each write first reads: while the tag keeps the digest this
    // store last saw, the state is the one it holds and the layer is not downloaded again.
    const artifact = await fetchArtifact(this.target, this.target.tag, STATE_TYPE, this.last?.artifact);
    if (!artifact) return undefined;
    if (artifact === this.last?.artifact) return this.last;
    const read: ReadResult = artifact.layer
      ? readStateText(Buffer.from(artifact.layer).toString('utf8'))
      : { ok: false, problem: artifact.problem ?? 'it has no layer' };
    if (read.ok) return { artifact, state: read.state };
    // Corrupt: only now pay a HEAD to name the backup in the error.
    const backup = await this.existingBackup();
    throw new StateError(corruptStateMessage(`State artifact ${this.location}`, read.problem, backup, this.backupRef), this.restoreSteps(backup));
  }

  private restoreSteps(backup: string | undefined): string {
    return backup
      ? `Restore the backup (skopeo copy docker://${backup} docker://${this.ref}) or push a good state there; mirror will not overwrite it.`
      : `Inspect it (skopeo inspect --raw docker://${this.ref}), then push a good state there or delete the tag; mirror will not overwrite it.`;
  }

  private changed(expected: string, actual: string): StateError {
    return new StateError(
      `State artifact ${this.location} changed between read and write (${expected} → ${actual}).`,
      'Another mirror run wrote it (a registry has no compare-and-swap); run the command again so it starts from the new state, and serialize CI runs (a GitHub Actions concurrency group).',
    );
  }

  /** Replace the artifact with `state` at serial+1; refused like FileStateStore.write, or when the tag moved since this store looked. */
  async write(state: State, opts: WriteOptions = {}): Promise<State> {
    const next = successorOf(state, this.location);
    return serialized(this.location, async () => {
      const current = await this.readRaw(); // throws on a corrupt artifact: it is never overwritten
      const now = digestOf(current);
      if (this.last !== undefined && digestOf(this.last) !== now) throw this.changed(digestOf(this.last), now);
      const name = { noun: 'State artifact', location: this.location, configKey: 'state.ref' } as const;
      assertInScope(current?.state, next, opts.scope, name);
      if (current) assertSuccessor(current.state, state, name);
      const prepared = await this.prepare(next);
      if (current) await putArtifact(this.target, this.backupTag, current.artifact.manifestBytes);
      // Last look before the PUT: the window left to a concurrent writer is one round trip.
      const head = (await this.target.registry.headManifest(this.target.image, this.target.tag))?.digest ?? ABSENT;
      if (head !== now) throw this.changed(now, head);
      this.last = await this.put(prepared, next);
      return structuredClone(next);
    });
  }

  /** Replace the artifact whatever its lineage or serial; the previous one, if it parses, becomes the backup. */
  async replace(state: State): Promise<State> {
    const next = StateSchema.parse(state);
    return serialized(this.location, async () => {
      // A corrupt artifact is not backed up: the backup stays the last good state.
      const current = await this.readRaw().catch(() => undefined);
      const prepared = await this.prepare(next);
      if (current) await putArtifact(this.target, this.backupTag, current.artifact.manifestBytes);
      this.last = await this.put(prepared, next);
      return structuredClone(next);
    });
  }

  private async prepare(state: State): Promise<{ manifest: Uint8Array; layer: Uint8Array }> {
    const layer = new TextEncoder().encode(`${JSON.stringify(state, null, 2)}\n`);
    // Serial and lineage as annotations so `skopeo inspect --raw` answers "which state is this" alone.
    const manifest = await prepareArtifact(this.target, STATE_TYPE, layer,
      { 'dev.mirror.state.serial': String(state.serial), 'dev.mirror.state.lineage': state.lineage }, 'state.json');
    return { manifest, layer };
  }

  /** PUT the prepared artifact under the tag; what was put is what the next read would fetch. */
  private async put({ manifest, layer }: { manifest: Uint8Array; layer: Uint8Array }, state: State): Promise<RawState> {
    const digest = await putArtifact(this.target, this.target.tag, manifest);
    return { artifact: { digest, manifestBytes: manifest, manifest: JSON.parse(Buffer.from(manifest).toString('utf8')) as ArtifactManifest, layer }, state };
  }
}
