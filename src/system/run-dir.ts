/**
 * One private (0700) temp directory per run that holds every temp file of it: source checkouts,
 * build copies, buildah storage, OCI layouts and the registry auth file buildah reads. One
 * directory is one thing to remove, and it is removed on every exit path: normally by close(), by
 * an `exit` hook when something calls process.exit (a second Ctrl-C), and, for SIGKILL, by the
 * next run, which sweeps run dirs whose process is gone on this host.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { pidAlive } from './pid.js';

const PREFIX = 'mirror-run-';
const OWNER = 'owner.json';

/** A run's temp directory. */
export interface RunDir {
  readonly path: string;
  /** Remove it (idempotent). */
  close(): Promise<void>;
}

const open = new Set<string>();
// Dirs holding credentials: removed first, before anything that a dying build may still be writing.
const secrets = new Set<string>();
let current: string | undefined;
let hooked = false;

function removeSync(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2, retryDelay: 20 });
  } catch {
    // A killed build can still be writing in its storage; the next run sweeps what is left (owner gone).
  }
}

/** Remove the dirs holding credentials now, synchronously; the rest stays for builds still stopping. */
export function removeSecretDirsSync(): void {
  for (const dir of secrets) removeSync(dir);
  secrets.clear();
}

/** Remove every open run dir now, synchronously (what process.exit leaves time for), secrets first. */
export function removeRunDirsSync(): void {
  removeSecretDirsSync();
  for (const dir of open) removeSync(dir);
  open.clear();
  current = undefined;
}


/**
 * Remove run dirs left by killed runs (SIGKILL leaves no chance to clean up, and an auth file with
 * registry credentials must not stay on disk): only dirs of this user, written on this host, whose
 * process no longer exists. Anything unreadable or foreign is left alone.
 */
export function sweepStaleRunDirs(base = tmpdir()): string[] {
  const removed: string[] = [];
  let entries: string[];
  try { entries = readdirSync(base); } catch { return removed; }
  const uid = process.getuid?.();
  for (const name of entries) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(base, name);
    try {
      if (uid !== undefined && statSync(dir).uid !== uid) continue;
      const owner = JSON.parse(readFileSync(path.join(dir, OWNER), 'utf8')) as { pid?: unknown; host?: unknown };
      if (owner.host !== hostname() || typeof owner.pid !== 'number' || owner.pid === process.pid || pidAlive(owner.pid)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // No owner file yet (a run starting right now) or not ours to judge: keep it.
    }
  }
  return removed;
}

/** Create the run dir (mkdtemp: mode 0700) and make it where tempDir() puts things until it closes. */
export async function openRunDir(): Promise<RunDir> {
  sweepStaleRunDirs();
  const dir = await mkdtemp(path.join(tmpdir(), PREFIX));
  writeFileSync(path.join(dir, OWNER), `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`, { mode: 0o600 });
  open.add(dir);
  current = dir;
  if (!hooked) { process.on('exit', removeRunDirsSync); hooked = true; }
  return {
    path: dir,
    close: async () => {
      open.delete(dir);
      if (current === dir) current = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The open run dir, if any: children get it as TMPDIR (buildah, git and trivy keep their own temp files there). */
export function currentRunDir(): string | undefined {
  return current;
}

/**
 * A fresh temp dir named `prefix…`: inside the open run dir when there is one (apply), else in the
 * system temp dir (library use, tests of single providers), where the caller removes it. `secret`:
 * it will hold credentials, so a hard exit deletes it before anything else.
 */
export async function tempDir(prefix: string, opts: { secret?: boolean } = {}): Promise<string> {
  const base = current && existsSync(current) ? current : tmpdir();
  const dir = await mkdtemp(path.join(base, prefix));
  if (opts.secret) secrets.add(dir);
  return dir;
}
