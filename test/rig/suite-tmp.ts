/**
 * vitest globalSetup: the whole suite's temp files under one directory, removed when it ends.
 * Tests make fixture dirs (keys, auth files, fake credential helpers, git repos) with
 * mkdtemp(tmpdir()); not every test removes its own, and a machine that runs the suite often
 * filled /tmp with them (some holding test credentials). Workers start after this runs, so they
 * and every process they spawn inherit TMPDIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const dir = mkdtempSync(path.join(tmpdir(), 'mirror-suite-'));
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  };
}
