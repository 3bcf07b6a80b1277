/**
 * State, audit and drift against the real registry: import, state list/show/pull/push/mv/rm/merge/
 * history, saved plans with `mirror show`, and the drift cycle (move a tag by hand → refresh-only
 * reports it → plan repairs it → history shows it). No builds: versions are published the way a
 * finished apply leaves them, then adopted with `mirror import`.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/types.js';
import { pushTestImage } from '../rig/oci.js';
import { publishVersions, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
let digests: Record<string, string>;
beforeAll(async () => {
  world = await startSeedWorld();
  const { mattermost } = world.config.apps;
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } }, apps: { mattermost } });
  digests = await publishVersions(world.backend, 'mattermost', ['10.4.0', '10.4.1']);
});
afterAll(async () => { await world?.stop(); });

const run = (args: string[]) => mirror(args, { cwd: world.dir });
const stateFile = () => path.join(world.dir, '.mirror', 'state.json');
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
const json = <T>(r: { stdout: string; stderr: string; exitCode: number }): T => {
  expect(r.exitCode, r.stderr).not.toBe(1);
  return JSON.parse(r.stdout) as T;
};
const registryDigest = async (tag: string) => (await world.backend.headManifest('mattermost', tag))?.digest;

describe('mirror import and the state commands', () => {
  it('import adopts what the registry holds: indexes with their platform digests', async () => {
    const r = await run(['import', 'mattermost']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('Imported mattermost@10.4.1');
    const list = await run(['state', 'list']);
    expect(list.stdout.split('\n').filter(Boolean)).toEqual([
      'mattermost@10.4.0', 'mattermost@10.4.0/linux/amd64', 'mattermost@10.4.0/linux/arm64',
      'mattermost@10.4.1', 'mattermost@10.4.1/linux/amd64', 'mattermost@10.4.1/linux/arm64',
    ]);
    const index = JSON.parse(Buffer.from((await world.backend.getManifest('mattermost', '10.4.1')).bytes).toString());
    const shown = json<{ resources: Record<string, any> }>(await run(['state', 'show', 'mattermost@10.4.1', '--json']));
    expect(shown.resources['mattermost@10.4.1']).toMatchObject({ type: 'index', digest: digests['10.4.1'], platforms: ['linux/amd64', 'linux/arm64'] });
    expect(shown.resources['mattermost@10.4.1/linux/arm64'].digest).toBe(index.manifests[1].digest);
    // The human view names digest and platforms
    const text = await run(['state', 'show', 'mattermost@10.4.1']);
    expect(text.stdout).toMatch(new RegExp(`\\nmattermost\\n  mattermost@10\\.4\\.1\\n    index      ${digests['10.4.1']}\\n    platforms  linux/amd64, linux/arm64\\n`));
    expect(text.stdout).toMatch(/\n {4}PLATFORM +DIGEST +BUILDER +UPSTREAM +BUILT +BY\n {4}linux\/amd64 +sha256:[0-9a-f]{64} +— +— +\S+ +\S+@\S+ \(import\)\n/);
    // And a plan now has nothing to build: only latest is missing
    const plan = json<Plan>(await run(['plan', '--json']));
    expect(plan.actions.map((a) => a.id)).toEqual(['tag:mattermost:latest']);
  });

  it('a tag moved by hand: refresh-only reports exactly it, plan repairs it, apply fixes it, history shows it', async () => {
    // Given an apply that put latest on 10.4.1
    const first = await run(['apply', '--auto-approve']);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(await registryDigest('latest')).toBe(digests['10.4.1']);
    // When someone moves latest back to 10.4.0 by hand, and pushes a tag of their own
    const old = await world.backend.getManifest('mattermost', '10.4.0');
    await world.backend.putManifest('mattermost', 'latest', old.bytes, old.descriptor.mediaType);
    await world.backend.putManifest('mattermost', 'hotfix', old.bytes, old.descriptor.mediaType);
    // Then plan --refresh-only reports exactly that drift and proposes nothing
    const refresh = await run(['plan', '--refresh-only', '--json', '--detailed-exitcode']);
    expect(refresh.exitCode).toBe(2);
    const r = JSON.parse(refresh.stdout) as Plan;
    expect(r.actions).toEqual([]);
    expect(r.drift).toEqual([
      { address: 'mattermost:latest', kind: 'moved', expected: digests['10.4.1'], actual: digests['10.4.0'] },
      { address: 'mattermost:hotfix', kind: 'unknown', expected: null, actual: digests['10.4.0'] },
    ]);
    const text = await run(['plan', '--refresh-only']);
    expect(text.stdout).toMatch(/^Drift: the registry differs from the state file\n {2}! mattermost:latest +moved outside mirror: state sha256:/);
    // And a normal plan shows the drift first and proposes the re-tag, with its reason
    const plan = json<Plan>(await run(['plan', '--json']));
    expect(plan.drift).toEqual([{ address: 'mattermost:latest', kind: 'moved', expected: digests['10.4.1'], actual: digests['10.4.0'] }]);
    expect(plan.actions).toEqual([expect.objectContaining({ id: 'tag:mattermost:latest', version: '10.4.1', reason: 'repair drift: latest moves 10.4.0 → 10.4.1' })]);
    // And apply repairs it
    const repair = await run(['apply', '--auto-approve']);
    expect(repair.exitCode, repair.stdout + repair.stderr).toBe(0);
    expect(await registryDigest('latest')).toBe(digests['10.4.1']);
    expect(json<Plan>(await run(['plan', '--json'])).drift).toEqual([]);
    // And the history of latest says: set, then repaired from the hand-moved digest
    const history = json<Array<{ action: string; digest?: string; previous?: string; who: string }>>(await run(['state', 'history', 'mattermost:latest', '--json']));
    expect(history.map((e) => [e.action, e.previous, e.digest])).toEqual([
      ['tag', undefined, digests['10.4.1']],
      ['tag', digests['10.4.0'], digests['10.4.1']],
    ]);
    expect(history[0].who).toMatch(/.+@.+/);
    const lines = await run(['state', 'history', 'mattermost:latest']);
    // (issue 17: history is an aligned table now, so a header line comes first)
    expect(lines.stdout.trim().split('\n')).toHaveLength(3);
    expect(lines.stdout.split('\n')[0]).toMatch(/^TIME +ACTION +ADDRESS +DIGEST +BY +UPSTREAM$/);
    expect(lines.stdout).toContain(`${digests['10.4.0'].slice(0, 19)} → ${digests['10.4.1'].slice(0, 19)}`);
  });

  it('apply --refresh-only records the registry truth in state instead of repairing', async () => {
    const old = await world.backend.getManifest('mattermost', '10.4.0');
    await world.backend.putManifest('mattermost', 'latest', old.bytes, old.descriptor.mediaType);
    const r = await run(['apply', '--refresh-only', '--auto-approve']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('Refreshed 1 address(es) from the registry: mattermost:latest.');
    const s = await readJson(stateFile());
    expect(s.resources['mattermost:latest'].digest).toBe(digests['10.4.0']);
    expect(s.history.at(-1)).toMatchObject({ action: 'refresh', address: 'mattermost:latest', previous: digests['10.4.1'], digest: digests['10.4.0'] });
    expect(await registryDigest('latest')).toBe(digests['10.4.0']); // the registry was not touched
    const again = json<Plan>(await run(['plan', '--refresh-only', '--json']));
    expect(again.drift.filter((d) => d.kind !== 'unknown')).toEqual([]);
  });

  it('saved plans: mirror show renders them; applying a stale one says what moved', async () => {
    const planFile = path.join(world.dir, 'plan.json');
    expect((await run(['plan', '--out', planFile])).exitCode).toBe(0);
    const shown = await run(['show', planFile]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^Saved plan .*plan\.json: made .* against state serial \d+ \(lineage [0-9a-f-]{36}\), config sha256:/);
    expect(shown.stdout).toMatch(/→ tag +mattermost:latest +latest moves 10\.4\.0 → 10\.4\.1/);
    expect(json<Plan>(await run(['show', planFile, '--json']))).toEqual(await readJson(planFile));
    expect((await run(['show', planFile, '--format', 'markdown'])).stdout).toMatch(/^### mirror plan/);
    // When the state moves on (a state rm), the saved plan is refused naming the serials and the address
    const before = (await readJson(stateFile())).serial;
    expect((await run(['state', 'rm', 'mattermost@10.4.0/linux/arm64'])).exitCode).toBe(0);
    const stale = await run(['apply', planFile]);
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toContain(`is stale: the state moved from serial ${before} to ${before + 1} since it was made; changed since: mattermost@10.4.0/linux/arm64.`);
  });

  it('state rm and mv change only the state and keep a backup of the previous one', async () => {
    const before = await readFile(stateFile(), 'utf8');
    const rm = await run(['state', 'rm', 'mattermost@10.4.0']);
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect(await readFile(`${stateFile()}.backup`, 'utf8')).toBe(before);
    expect((await readJson(stateFile())).resources['mattermost@10.4.0']).toBeUndefined();
    expect(await registryDigest('10.4.0')).toBe(digests['10.4.0']); // registry untouched
    const missing = await run(['state', 'rm', 'nothing@1.0.0']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe('Error: No resource in the state matches nothing@1.0.0.\nSee `mirror state list`.\n'.trimEnd());
    // An address prefix removes what is under it (Terraform's module rule): the version's builds too
    expect(Object.keys((await readJson(stateFile())).resources).filter((a) => a.startsWith('mattermost@10.4.0'))).toEqual([]);
    const mv = await run(['state', 'mv', 'mattermost@10.4.1/linux/amd64', 'mattermost@10.4.1/linux/amd64/v2']);
    expect(mv.exitCode, mv.stderr).toBe(0);
    const s = await readJson(stateFile());
    expect(s.resources['mattermost@10.4.1/linux/amd64/v2']).toMatchObject({ type: 'build', platform: 'linux/amd64/v2' });
    expect(s.resources['mattermost@10.4.1/linux/amd64']).toBeUndefined();
    const clash = await run(['state', 'mv', 'mattermost@10.4.1', 'mattermost@10.4.1/linux/arm64']);
    expect(clash.exitCode).toBe(1);
    expect(clash.stderr).toMatch(/is already in the state\.\nRemove it first/);
  });

  it('state pull and push: an older serial or another lineage is refused unless --force; a backup is kept', async () => {
    const pulled = await run(['state', 'pull']);
    expect(pulled.exitCode).toBe(0);
    const state = JSON.parse(pulled.stdout);
    expect(state).toEqual(await readJson(stateFile()));
    const older = path.join(world.dir, 'older.json');
    await writeFile(older, JSON.stringify({ ...state, serial: state.serial - 1 }));
    const refused = await run(['state', 'push', older]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`its serial ${state.serial - 1} is older than the state's ${state.serial}`);
    const foreign = path.join(world.dir, 'foreign.json');
    await writeFile(foreign, JSON.stringify({ ...state, lineage: '11111111-2222-4333-8444-555555555555' }));
    expect((await run(['state', 'push', foreign])).stderr).toContain('its lineage 11111111-2222-4333-8444-555555555555 differs');
    expect((await readJson(stateFile())).lineage).toBe(state.lineage);
    const forced = await run(['state', 'push', foreign, '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect((await readJson(stateFile())).lineage).toBe('11111111-2222-4333-8444-555555555555');
    expect((await readJson(`${stateFile()}.backup`)).lineage).toBe(state.lineage);
    // Put the real one back for the next test
    expect((await run(['state', 'push', `${stateFile()}.backup`, '--force'])).exitCode).toBe(0);
  });

  it('state push and merge name a missing or broken input file in one sentence, never a bare errno', async () => {
    // Given files that do not exist, and a truncated state file
    const missing = path.join(world.dir, 'missing.json');
    const truncated = path.join(world.dir, 'truncated.json');
    await writeFile(truncated, '{"formatVersion":2,');
    const before = await readFile(stateFile(), 'utf8');
    // When they are pushed or merged
    const [push, broken, merge] = [await run(['state', 'push', missing]), await run(['state', 'push', truncated]), await run(['state', 'merge', missing])];
    // Then each fails naming the file and what to give instead, and the state is untouched
    expect(push.exitCode).toBe(1);
    expect(push.stderr).toBe(`Error: State file ${missing} cannot be read: ENOENT.\nPush a file written by \`mirror state pull\`.`);
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^Error: ${truncated.replace(/[.]/g, '\\.')} is not a mirror state: not valid JSON \\(.+\\)\\.\nPush a file written by`));
    expect(broken.stderr).not.toContain('backup');
    expect(merge.exitCode).toBe(1);
    expect(merge.stderr).toBe(`Error: Fragment ${missing} cannot be read: ENOENT.\nUse the file the build job wrote with --fragment-out.`);
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
  });

  it('state merge folds fragments in and refuses conflicting digests naming both', async () => {
    const state = await readJson(stateFile());
    const amd = await pushTestImage(world.backend, 'mattermost', { architecture: 'amd64', content: 'fragment amd64' });
    const arm = await pushTestImage(world.backend, 'mattermost', { architecture: 'arm64', content: 'fragment arm64' });
    const rec = (platform: string, digest: string) => ({ type: 'build', app: 'mattermost', image: 'mattermost', version: '10.5.0', platform, digest, createdAt: 't', updatedAt: 't' });
    // Fragments as build runners write them (apply PLANFILE --fragment-out): resources plus the runner's events
    // (a job's fragment lists the build actions it was given: `actions`, its resources' addresses unless a test says otherwise)
    const fragment = async (name: string, resources: Record<string, { digest: string; app?: string; image?: string }>, lineage: string | null = state.lineage, actions = Object.keys(resources)) => {
      const file = path.join(world.dir, name);
      const history = Object.entries(resources).map(([address, r]) => ({ time: new Date().toISOString(), who: 'https://github.com/acme/mirror/actions/runs/7', operation: 'apply', action: 'build', address, digest: r.digest }));
      await writeFile(file, JSON.stringify({ fragmentVersion: 1, plan: { id: 'sha256:plan', lineage, serial: state.serial, configHash: 'sha256:c' }, actions, resources, history }));
      return file;
    };
    const a = await fragment('amd64.json', { 'mattermost@10.5.0/linux/amd64': rec('linux/amd64', amd.digest) });
    const b = await fragment('arm64.json', { 'mattermost@10.5.0/linux/arm64': rec('linux/arm64', arm.digest) });
    const merged = await run(['state', 'merge', a, b]);
    expect(merged.exitCode, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/^Merged 2 fragment\(s\): 2 new resource\(s\)/);
    const s = await readJson(stateFile());
    expect(s.resources['mattermost@10.5.0/linux/arm64'].digest).toBe(arm.digest);
    // A fragment with another digest for an address the state has is refused, naming both
    const c = await fragment('conflict.json', { 'mattermost@10.5.0/linux/arm64': rec('linux/arm64', amd.digest) });
    const conflict = await run(['state', 'merge', c]);
    expect(conflict.exitCode).toBe(1);
    expect(conflict.stderr).toContain(`Conflicting digests for mattermost@10.5.0/linux/arm64: ${arm.digest} (state) and ${amd.digest} (${c})`);
    // A job given the amd64 build that records another address (another app's, with its own digest) is refused, naming it
    const stray = await fragment('stray.json', { 'mattermost@10.5.0/linux/amd64': rec('linux/amd64', amd.digest), 'mostlymatter@10.5.0/linux/amd64': { ...rec('linux/amd64', amd.digest), app: 'mostlymatter', image: 'mostlymatter' } }, state.lineage, ['mattermost@10.5.0/linux/amd64']);
    const strayMerge = await run(['state', 'merge', stray]);
    expect(strayMerge.exitCode).toBe(1);
    expect(strayMerge.stderr).toContain(`Refusing fragment ${stray}: it records mostlymatter@10.5.0/linux/amd64, which is not one of the build actions its job was given (mattermost@10.5.0/linux/amd64).`);
    expect((await readJson(stateFile())).resources['mostlymatter@10.5.0/linux/amd64']).toBeUndefined();
    // And one from another lineage is refused
    const foreign = await fragment('foreign-fragment.json', {}, '11111111-2222-4333-8444-555555555555');
    expect((await run(['state', 'merge', foreign])).stderr).toContain('it was built for state lineage 11111111-2222-4333-8444-555555555555, this state is');
    // And the runners' events are in the history, tagged with their plan
    expect(s.history.filter((e: any) => e.plan === 'sha256:plan').map((e: any) => [e.address, e.who])).toEqual([
      ['mattermost@10.5.0/linux/amd64', 'https://github.com/acme/mirror/actions/runs/7'], ['mattermost@10.5.0/linux/arm64', 'https://github.com/acme/mirror/actions/runs/7'],
    ]);
    await access(`${stateFile()}.backup`);
  });
});
