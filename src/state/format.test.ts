import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError } from '../errors.js';
import { FileStateStore } from './file-store.js';
import { readStateText } from './format.js';
import { STATE_FORMAT_VERSION } from './types.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../test/fixtures/state-v1.json');

async function v1File() {
  const dir = await mkdtemp(path.join(tmpdir(), 'mirror-format-'));
  const file = path.join(dir, 'state.json');
  await copyFile(FIXTURE, file);
  return file;
}

describe('state format upgrades', () => {
  it('reads a stored version-1 state as the current format, every field kept and each event given its command', async () => {
    const store = new FileStateStore(await v1File());
    const state = (await store.read())!;
    const v1 = JSON.parse(await readFile(FIXTURE, 'utf8'));
    expect(state.formatVersion).toBe(STATE_FORMAT_VERSION);
    expect(state.lineage).toBe(v1.lineage);
    expect(state.serial).toBe(6);
    expect(state.resources).toEqual(v1.resources);
    expect(state.history.map((e) => [e.action, e.operation])).toEqual([
      ['build', 'apply'], ['build', 'apply'], ['merge', 'apply'], ['tag', 'apply'], ['state rm', 'state rm'], ['refresh', 'apply --refresh-only'],
    ]);
    expect(state.history.map(({ operation: _o, ...rest }) => rest)).toEqual(v1.history);
  });

  it('writes the upgraded format on the next write and keeps the version-1 bytes as the backup', async () => {
    const file = await v1File();
    const store = new FileStateStore(file);
    const written = await store.write((await store.read())!);
    expect(written.serial).toBe(7);
    expect(JSON.parse(await readFile(file, 'utf8')).formatVersion).toBe(STATE_FORMAT_VERSION);
    expect(await readFile(`${file}.backup`, 'utf8')).toBe(await readFile(FIXTURE, 'utf8'));
  });

  it('refuses a state from a newer mirror, naming the file, and does not overwrite it', async () => {
    const file = await v1File();
    const future = { ...JSON.parse(await readFile(FIXTURE, 'utf8')), formatVersion: STATE_FORMAT_VERSION + 1 };
    await writeFile(file, JSON.stringify(future));
    const store = new FileStateStore(file);
    const error = await store.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toContain(`State file ${file} is corrupt: formatVersion ${STATE_FORMAT_VERSION + 1} is newer than this mirror understands (${STATE_FORMAT_VERSION}); upgrade mirror`);
    await expect(store.write({ ...future, formatVersion: STATE_FORMAT_VERSION, history: [] })).rejects.toBeInstanceOf(StateError);
    expect(JSON.parse(await readFile(file, 'utf8')).formatVersion).toBe(STATE_FORMAT_VERSION + 1);
  });

  it('a version-1 file with a broken field is still refused with its path', async () => {
    const file = await v1File();
    const broken = JSON.parse(await readFile(FIXTURE, 'utf8'));
    broken.resources['mattermost:latest'].digest = 'sha256:nope';
    await writeFile(file, JSON.stringify(broken));
    await expect(new FileStateStore(file).read()).rejects.toThrow(/resources\.mattermost:latest\.digest: expected sha256:<64 hex>/);
  });
});

describe('readStateText edges', () => {
  it('whitespace only is an empty file, JSON null is not state (no crash), a string formatVersion is a wrong field, not a newer mirror', () => {
    expect(readStateText(' \n\t')).toEqual({ ok: false, problem: 'the file is empty' });
    const nul = readStateText('null');
    expect(nul.ok).toBe(false);
    const str = readStateText(JSON.stringify({ formatVersion: '99', lineage: '2b8f0a64-5f5c-4d55-9a3b-6a3f0c7d1e11', serial: 1, resources: {}, history: [] }));
    expect(str.ok).toBe(false);
    expect(str.ok ? '' : str.problem).toMatch(/^formatVersion: /);
    expect(readStateText(JSON.stringify({ formatVersion: 99 }))).toEqual({ ok: false, problem: 'formatVersion 99 is newer than this mirror understands (2); upgrade mirror' });
  });
});
