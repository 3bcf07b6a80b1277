import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunLogs, logFileName, newRunId, pruneRunLogs, RUN_LOGS_KEPT } from './run-logs.js';

let root: string | undefined;
afterEach(async () => { if (root) await rm(root, { recursive: true, force: true }); });

const base = { type: 'build' as const, time: '2026-01-01T00:00:00Z' };

describe('run logs', () => {
  it('keeps each action\'s full log in its own file under <root>/<run-id>, with the failure at the end; silent actions get none', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mirror-logs-'));
    const logs = createRunLogs(root, 'run-1');
    const id = 'build:mattermost@10.4.1/linux/arm64';
    logs.record({ event: 'start', id, address: 'mattermost@10.4.1/linux/arm64', ...base });
    for (let i = 1; i <= 12; i++) logs.record({ event: 'log', id, line: `line ${i}` });
    logs.record({ event: 'failed', id, address: 'mattermost@10.4.1/linux/arm64', ms: 1500, error: 'buildah build failed: exit status 1', ...base });
    logs.record({ event: 'start', id: 'tag:mattermost:latest', address: 'mattermost:latest', ...base, type: 'tag' });
    logs.record({ event: 'done', id: 'tag:mattermost:latest', address: 'mattermost:latest', ms: 5, ...base, type: 'tag' });
    expect(await logs.close()).toBe(true);
    const file = path.join(root, 'run-1', 'build_mattermost@10.4.1_linux_arm64.log');
    expect(logs.file(id)).toBe(file);
    expect(logs.file('tag:mattermost:latest')).toBeUndefined();
    expect(await readdir(path.join(root, 'run-1'))).toEqual(['build_mattermost@10.4.1_linux_arm64.log']);
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toHaveLength(14);
    expect(text).toMatch(/^line 1\nline 2\n[\s\S]*line 12\nmirror: mattermost@10\.4\.1\/linux\/arm64 failed after 1\.5s: buildah build failed: exit status 1\n$/);
    expect(logs.tail(id)).toEqual(['line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10', 'line 11', 'line 12']);
    // (logs may quote what upstream printed: only the user reads them)
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('names files without directories and runs sortably', () => {
    expect(logFileName('build:a/b@1.0.0/linux/arm64/v8')).toBe('build_a_b@1.0.0_linux_arm64_v8.log');
    expect(logFileName('../../etc')).toBe('__.._etc.log');
    expect(newRunId(new Date('2026-11-30T01:08:00.123Z'))).toMatch(/^2026-11-30T01-08-00Z-[0-9a-f]{4}$/);
  });

  it('a log directory that cannot be made does not fail the run', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mirror-logs-'));
    // (a file where the directory should be)
    await writeFile(path.join(root, 'logs'), '');
    const logs = createRunLogs(path.join(root, 'logs'), 'run-1');
    logs.record({ event: 'log', id: 'build:x@1/linux/amd64', line: 'hello' });
    expect(logs.tail('build:x@1/linux/amd64')).toEqual(['hello']);
    expect(await logs.close()).toBe(false);
  });

  it(`keeps the newest ${RUN_LOGS_KEPT} runs: the oldest go when a run writes its first log, other files stay`, async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mirror-logs-'));
    // Given 25 earlier runs (one a minute) and a directory of the user's own
    const earlier = Array.from({ length: 25 }, (_, i) => newRunId(new Date(Date.UTC(2026, 10, 1, 0, i))));
    for (const id of earlier) {
      await mkdir(path.join(root, id));
      await writeFile(path.join(root, id, 'build.log'), 'x\n');
    }
    await mkdir(path.join(root, 'notes'));
    // When a new run starts: nothing is pruned until it writes
    const logs = createRunLogs(root, newRunId(new Date(Date.UTC(2026, 10, 2))));
    expect(await readdir(root)).toHaveLength(earlier.length + 1);
    logs.record({ event: 'log', id: 'build:x@1/linux/amd64', line: 'hello' });
    await logs.close();
    // Then the newest 19 earlier runs, this run and the user's directory remain
    const left = (await readdir(root)).sort();
    expect(left).toEqual([...earlier.slice(25 - (RUN_LOGS_KEPT - 1)), path.basename(logs.dir), 'notes'].sort());
  });

  it('never prunes a run started within the last day (another apply may still be writing there)', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mirror-logs-'));
    const now = Date.UTC(2026, 10, 30, 12);
    // 30 runs of the last 30 minutes, and 5 of two days ago
    const recent = Array.from({ length: 30 }, (_, i) => newRunId(new Date(now - (i + 1) * 60_000)));
    const old = Array.from({ length: 5 }, (_, i) => newRunId(new Date(now - 2 * 86_400_000 - i * 60_000)));
    for (const id of [...recent, ...old]) await mkdir(path.join(root, id));
    expect(pruneRunLogs(root, RUN_LOGS_KEPT, now).sort()).toEqual([...old].sort());
    expect((await readdir(root)).sort()).toEqual([...recent].sort());
  });
});
