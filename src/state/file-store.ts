/**
 * The state file on disk, through lowdb with an adapter of our own: lowdb's TextFile writer
 * renames without fsync, and a state file that vanishes on power loss loses the only record of
 * what was pushed. Writes: temp file → fsync → rename → fsync dir; previous good file → backup.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { BugError, StateError } from '../errors.js';
import { StateSchema, type State, type StateStore } from './types.js';

/** Write a file atomically and durably. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  const dir = await open(path.dirname(file), constants.O_RDONLY);
  try { await dir.sync(); } catch { /* some filesystems refuse fsync on directories */ } finally { await dir.close(); }
}

/** lowdb adapter: raw text in, raw text out; parsing and validation stay in the store. */
class DurableTextFile implements Adapter<string> {
  constructor(private readonly file: string) {}
  async read(): Promise<string | null> {
    try {
      return await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
  async write(data: string): Promise<void> {
    await writeFileAtomic(this.file, data);
  }
}

/** Parse and validate state text; the error names the file, the first problem and the backup. */
export function parseState(text: string, file: string, backup?: string): State {
  const hint = backup ? `Restore the backup ${backup} (mirror keeps one beside the state) or fix the file by hand; mirror will not overwrite it.`
    : 'Fix the file by hand or restore it from version control; mirror will not overwrite it.';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateError(`State file ${file} is corrupt: not valid JSON (${(error as Error).message}).`, hint);
  }
  const parsed = StateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map(String).join('.') || '(root)';
    throw new StateError(`State file ${file} is corrupt: ${where}: ${issue.message}.`, hint);
  }
  return parsed.data;
}

/** A state file on the local disk (SPEC §5 default backend). */
export class FileStateStore implements StateStore {
  readonly location: string;
  readonly backupPath: string;
  private readonly db: Low<string>;

  constructor(file: string) {
    this.location = path.resolve(file);
    this.backupPath = `${this.location}.backup`;
    this.db = new Low(new DurableTextFile(this.location), '');
  }

  private async backupHint(): Promise<string | undefined> {
    try { await readFile(this.backupPath); return this.backupPath; } catch { return undefined; }
  }

  async read(): Promise<State | undefined> {
    await this.db.read();
    if (this.db.data === null || this.db.data === '') return undefined;
    return parseState(this.db.data, this.location, await this.backupHint());
  }

  async write(state: State): Promise<State> {
    const next: State = { ...state, serial: state.serial + 1 };
    const valid = StateSchema.safeParse(next);
    if (!valid.success) throw new BugError(`refusing to write invalid state: ${valid.error.issues[0].message}`);
    await mkdir(path.dirname(this.location), { recursive: true });
    const current = await this.read(); // throws on a corrupt file: it is never overwritten
    if (current) {
      if (current.lineage !== state.lineage) {
        throw new StateError(`State file ${this.location} belongs to another lineage (${current.lineage}, not ${state.lineage}).`,
          'Another state was put in its place; check the path in the config.');
      }
      if (current.serial !== state.serial) {
        throw new StateError(`State file ${this.location} changed while this run held it (serial ${state.serial} → ${current.serial}).`,
          'Another process wrote it; run the command again.');
      }
      await copyFile(this.location, this.backupPath);
    }
    this.db.data = `${JSON.stringify(next, null, 2)}\n`;
    await this.db.write();
    return next;
  }
}
