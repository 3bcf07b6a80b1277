/**
 * The state file on disk, through lowdb with an adapter of our own: lowdb's TextFile writer
 * renames without fsync, and a state file that vanishes on power loss loses the only record of
 * what was pushed. Writes: temp file → fsync → rename → fsync dir; previous good file → backup.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, readlink, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { BugError, StateError } from '../errors.js';
import { readStateText } from './format.js';
import { StateSchema, type State, type StateStore, type WriteOptions } from './types.js';
import { assertInScope, assertSuccessor, serialized, successorOf } from './write-guard.js';

/**
 * Write a file atomically and durably: a crash leaves either the old bytes or the new ones, never half.
 * The file keeps its mode (a 0600 state stays 0600; a new file is 0600, whatever the umask), and a
 * symlink is written through to its target: renaming over the link itself would replace it with a
 * regular file and split the state in two (the link's target keeps the old one).
 */
export async function writeFileAtomic(target: string, data: string, mode?: number): Promise<void> {
  const file = await throughLinks(target);
  const keep = mode ?? (await stat(file).then((s) => s.mode & 0o777, () => 0o600));
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.chmod(keep);
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDir(path.dirname(file));
}

/** The file a path names once its symlinks are followed (a dangling link: the path it points to). */
async function throughLinks(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let current = path.resolve(file);
  for (let hops = 0; hops < 40; hops += 1) {
    const link = await readlink(current).catch(() => undefined);
    if (link === undefined) return current;
    current = path.resolve(path.dirname(current), link);
  }
  throw new StateError(`${file} is a symlink loop.`, 'Point state.path at a regular file.');
}

/** Permission bits of a file, when it exists. */
export async function modeOf(file: string): Promise<number | undefined> {
  return stat(file).then((s) => s.mode & 0o777, () => undefined);
}

// The rename itself is only durable once the directory entry is flushed.
// Stryker disable next-line BlockStatement: fsync of the directory; only a power cut tells it was skipped
async function syncDir(dir: string): Promise<void> {
  // Stryker disable next-line BlockStatement: fsync of the directory; only a power cut tells it was skipped
  try {
    const handle = await open(dir, constants.O_RDONLY);
    // Stryker disable next-line BlockStatement: fsync of the directory; only a power cut tells it was skipped
    try { await handle.sync(); } finally { await handle.close(); }
  } catch { /* Windows and some filesystems refuse to open or fsync a directory */ }
}

/** What the adapter moves: raw text, boxed because lowdb ignores falsy reads (an empty file is corrupt, not absent). */
interface RawFile {
  text: string;
}

/** lowdb adapter: raw text in, raw text out, so parsing errors can name the file and the backup. */
class DurableTextFile implements Adapter<RawFile | null> {
  constructor(private readonly file: string) {}
  async read(): Promise<RawFile | null> {
    try {
      return { text: await readFile(this.file, 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      // EISDIR, EACCES…: the state exists but cannot be read; say which file, never a bare errno.
      throw new StateError(`State file ${this.file} cannot be read: ${code ?? (error as Error).message}.`,
        'Check the path (state.path) and its permissions; mirror will not replace it.', { cause: error });
    }
  }
  async write(data: RawFile | null): Promise<void> {
    // Stryker disable next-line ConditionalExpression,StringLiteral: unreachable; this file only writes after setting data, and null.text throws anyway
    if (data === null) throw new BugError('DurableTextFile.write called without data');
    await writeFileAtomic(this.file, data.text);
  }
}

/** `<what> is corrupt: <problem>; the previous state is in <backup>.`, whatever holds the state. */
export function corruptStateMessage(what: string, problem: string, backup: string | undefined, backupLocation: string): string {
  return `${what} is corrupt: ${problem}${backup ? `; the previous state is in ${backup}` : ` and there is no backup (${backupLocation})`}.`;
}

/** Parse and validate state text; the error is one sentence naming the file, the first problem and the backup. */
export function parseState(text: string, file: string, backup?: string): State {
  const read = readStateText(text);
  if (read.ok) return read.state;
  const next = backup
    ? `Restore the backup (cp ${backup} ${file}) or fix the file by hand; mirror will not overwrite it.`
    : 'Fix the file by hand or restore it from version control; mirror will not overwrite it.';
  throw new StateError(corruptStateMessage(`State file ${file}`, read.problem, backup, `${file}.backup`), next);
}

/** A state file on the local disk (SPEC §5 default backend). */
export class FileStateStore implements StateStore {
  /** Absolute path of the state file. */
  readonly location: string;
  /** The previous good state, rewritten before every replace (`<file>.backup`). */
  readonly backupPath: string;
  private readonly db: Low<RawFile | null>;

  constructor(file: string) {
    this.location = path.resolve(file);
    this.backupPath = `${this.location}.backup`;
    this.db = new Low<RawFile | null>(new DurableTextFile(this.location), null);
  }

  private async existingBackup(): Promise<string | undefined> {
    try { await access(this.backupPath); return this.backupPath; } catch { return undefined; }
  }

  /** The state, undefined when the file does not exist; StateError when it exists but is not valid state. */
  async read(): Promise<State | undefined> {
    return (await this.readRaw())?.state;
  }

  private async readRaw(): Promise<{ text: string; state: State } | undefined> {
    this.db.data = null; // lowdb keeps the previous data when the file has since vanished
    await this.db.read();
    if (this.db.data === null) return undefined;
    const { text } = this.db.data;
    return { text, state: parseState(text, this.location, await this.existingBackup()) };
  }

  /**
   * Replace the file with `state` at serial+1. Refused when the file on disk is corrupt, belongs to
   * another lineage, or moved past the serial the caller read (someone else wrote meanwhile).
   */
  async write(state: State, opts: WriteOptions = {}): Promise<State> {
    const next = successorOf(state, this.location);
    return serialized(this.location, async () => {
      await mkdir(path.dirname(this.location), { recursive: true });
      const current = await this.readRaw(); // throws on a corrupt file: it is never overwritten
      const name = { noun: 'State file', location: this.location, configKey: 'state.path' } as const;
      assertInScope(current?.state, next, opts.scope, name);
      if (current) {
        assertSuccessor(current.state, state, name);
        // Backup from the bytes just validated, atomically, so a crash never leaves a half backup; as private as the state.
        await writeFileAtomic(this.backupPath, current.text, await modeOf(this.location));
      }
      this.db.data = { text: `${JSON.stringify(next, null, 2)}\n` };
      await this.db.write();
      return structuredClone(next);
    });
  }

  async replace(state: State): Promise<State> {
    const next = StateSchema.parse(state);
    return serialized(this.location, async () => {
      await mkdir(path.dirname(this.location), { recursive: true });
      const current = await this.readRaw().catch(() => undefined);
      if (current) await writeFileAtomic(this.backupPath, current.text, await modeOf(this.location));
      this.db.data = { text: `${JSON.stringify(next, null, 2)}\n` };
      await this.db.write();
      return structuredClone(next);
    });
  }
}
