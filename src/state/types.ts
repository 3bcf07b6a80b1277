/**
 * State model and storage contracts (SPEC §5). Storage sits behind small interfaces
 * (Terraform's Persistent + Locker) with one conformance suite every implementation passes.
 */
import { z } from 'zod';
import { DIGEST_RE, NAME_RE, PLATFORM_RE, TAG_RE } from '../oci/reference.js';

const digest = z.string().regex(DIGEST_RE, 'expected sha256:<64 hex>');
// Recorded names go back into registry URLs (drift HEADs, re-merges, prunes): a hand-edited
// `../../v2/_catalog` must make the file invalid, not a request to another path.
const name = z.string().max(128).regex(NAME_RE, 'expected a lowercase repository name');
const version = z.string().max(128).regex(/^[A-Za-z0-9_.+-]+$/, 'expected a version').refine((s) => !s.includes('..'), 'expected a version');
const tag = z.string().regex(TAG_RE, 'expected an OCI tag');
const platform = z.string().regex(PLATFORM_RE, 'expected os/arch[/variant]');

/** A recorded resource: a platform build, a version index, or a floating tag. */
export const ResourceSchema = z.object({
  type: z.enum(['build', 'index', 'tag']),
  app: name,
  image: name,
  version: version.optional(),
  platform: platform.optional(),
  tag: tag.optional(),
  digest,
  mediaType: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  platforms: z.array(platform).optional(),
  tags: z.array(tag).optional(),
  upstream: z.object({ tag: z.string(), commit: z.string().optional() }).optional(),
  buildArgsHash: z.string().optional(),
  builder: z.string().optional(),
  attestations: z.record(z.string(), digest).optional(),
  /** `built`: mirror built it; `adopted`: recorded from the registry by an import (no provenance of ours). Absent in older states: built. */
  origin: z.enum(['built', 'adopted']).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** A recorded resource. */
export type Resource = z.infer<typeof ResourceSchema>;

/** One append-only history event. */
export const HistoryEventSchema = z.object({
  time: z.string(),
  who: z.string(),
  /** The command that made it (`apply`, `apply --refresh-only`, `import`, `state rm`…); new in formatVersion 2. */
  operation: z.string(),
  /** What happened to the address (`build`, `merge`, `tag`, `prune`, `refresh`, `import`, `state rm`…). */
  action: z.string(),
  address: z.string(),
  digest: z.string().optional(),
  previous: z.string().optional(),
  upstream: z.object({ tag: z.string(), commit: z.string().optional() }).optional(),
  /** `attest`: the referrer manifest digest of each attestation kind attached. */
  attestations: z.record(z.string(), digest).optional(),
  /** `state merge`: the saved plan whose build fragment brought the address in. */
  plan: z.string().optional(),
});
/** One append-only history event. */
export type HistoryEvent = z.infer<typeof HistoryEventSchema>;

/** The state format this mirror writes; older ones are read and upgraded by src/state/format.ts. */
export const STATE_FORMAT_VERSION = 2;

/** The whole state file (current format). */
export const StateSchema = z.object({
  formatVersion: z.literal(STATE_FORMAT_VERSION),
  lineage: z.string().uuid(),
  serial: z.number().int().nonnegative(),
  resources: z.record(z.string(), ResourceSchema),
  history: z.array(HistoryEventSchema),
});
/** The whole state file. */
export type State = z.infer<typeof StateSchema>;

/** Lock holder information, written beside the state. */
export interface LockInfo {
  id: string;
  operation: string;
  who: string;
  host: string;
  pid: number;
  created: string;
  expires: string;
}

/** How a write is bounded. */
export interface WriteOptions {
  /**
   * The addresses the command may change (`--target`, the address of `import`/`state rm`…):
   * a record outside them that differs between the stored state and the one written is refused
   * (write-guard.ts `assertInScope`). Undefined: the whole state is in scope.
   */
  scope?: readonly string[];
}

/** Where state persists (Terraform's statemgr.Persistent). */
export interface StateStore {
  /** Human name for messages: the file path, or the OCI ref. */
  readonly location: string;
  /** The state, or undefined when none exists yet. Throws StateError (naming file and backup) when corrupt. */
  read(): Promise<State | undefined>;
  /**
   * Persist atomically: serial is incremented by the store (returned state carries the new serial);
   * the previous state is kept as a backup. Never overwrites a file it could not parse, nor a
   * record outside `opts.scope`.
   */
  write(state: State, opts?: WriteOptions): Promise<State>;
  /** Replace the state whatever its lineage or serial (`state push --force`); still keeps a backup. */
  replace(state: State): Promise<State>;
}

/** Mutual exclusion around a store (Terraform's statemgr.Locker). */
export interface Locker {
  /**
   * Take the lock, waiting up to timeoutMs. Takes over a lock whose holder is provably gone
   * (same host and dead pid, or lease expired) calling onTakeover with the old holder.
   * Throws LockedError naming the holder on timeout. The lease is renewed until release().
   * onWait is called once, with the holder, when it starts waiting (a silent wait looks hung).
   * An aborted `signal` (Ctrl-C, a cancelled job) ends the wait at once with an AbortError.
   */
  acquire(operation: string, opts?: { timeoutMs?: number; onTakeover?: (old: LockInfo) => void; onWait?: (holder: LockInfo) => void; signal?: AbortSignal }): Promise<LockHandle>;
  /** Current holder, if any. */
  current(): Promise<LockInfo | undefined>;
  /** Release a lock by id regardless of holder (`mirror force-unlock`). Throws when the id does not match. */
  forceUnlock(id: string): Promise<void>;
}

/** A held lock. */
export interface LockHandle {
  readonly info: LockInfo;
  release(): Promise<void>;
}
