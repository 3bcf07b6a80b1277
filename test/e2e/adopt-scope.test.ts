/**
 * Adopting a registry without losing state, against the real registry (no builds): `mirror
 * import` never overwrites a record and adopts only window versions and configured floating tags;
 * `--target`/`--refresh-only` change nothing outside their scope (one check per state-writing
 * command); `state mv` moves a version with its platform records and stays within its repository.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushTestImage } from '../rig/oci.js';
import { publishVersions, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
let mm: Record<string, string>;
const REFERRER = `sha256-${'ab'.repeat(32)}`;
beforeAll(async () => {
  world = await startSeedWorld();
  const { mattermost, mostlymatter } = world.config.apps;
  world.upstream.github.setReleases('mattermost/mattermost', ['10.4.1', '10.4.0', '10.3.2', '10.3.0'].map((v) => ({ tag_name: `v${v}` })));
  // Windows of 3: mattermost 10.4.1, 10.4.0, 10.3.2; mostlymatter 10.4.1, 10.4.0, 10.3.1 (10.3.2 lacks arm64 upstream)
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 3, attest: { sbom: false, provenance: false, sign: false } }, apps: { mattermost, mostlymatter } });
  // Given what an earlier pipeline left: window versions, an older one, a single-platform leftover, a referrer-schema tag
  mm = await publishVersions(world.backend, 'mattermost', ['10.3.0', '10.4.0', '10.4.1'], { latest: '10.4.1', [REFERRER]: '10.4.0' });
  await pushTestImage(world.backend, 'mattermost', { architecture: 'amd64', tag: '10.3.2' });
  await publishVersions(world.backend, 'mostlymatter', ['10.3.1', '10.4.0', '10.4.1'], { latest: '10.4.1' });
}, 60_000);
afterAll(async () => { await world?.stop(); });

const run = (args: string[]) => mirror(args, { cwd: world.dir });
const stateFile = () => path.join(world.dir, '.mirror', 'state.json');
const readState = async () => JSON.parse(await readFile(stateFile(), 'utf8'));
/** The records of one app, as JSON text: what must stay byte-identical when a command is scoped elsewhere. */
const recordsOf = async (app: string) => JSON.stringify(Object.entries((await readState()).resources).filter(([, r]: [string, any]) => r.app === app));
const list = async () => (await run(['state', 'list'])).stdout;

describe('mirror import', () => {
  it('import APP adopts window versions and configured floating tags only, and lists what it skipped and why', async () => {
    const r = await run(['import', 'mattermost']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('Imported'))).toEqual([
      'Imported mattermost@10.4.0/linux/amd64', 'Imported mattermost@10.4.0/linux/arm64', 'Imported mattermost@10.4.0',
      'Imported mattermost@10.4.1/linux/amd64', 'Imported mattermost@10.4.1/linux/arm64', 'Imported mattermost@10.4.1',
      'Imported mattermost:latest',
    ]);
    expect(r.stdout).toContain('Skipped mattermost@10.3.0: outside the window (the last 3 upstream versions)\n');
    expect(r.stdout).toContain('Skipped mattermost@10.3.2: a single-platform image: mirror plan rebuilds it as a multi-arch index\n');
    expect(r.stdout).toContain(`Skipped mattermost:${REFERRER}: referrer tag (attestations), not an image`);
    const state = await readState();
    expect(Object.keys(state.resources).some((a) => a.includes('sha256-') || a.includes('10.3.'))).toBe(false);
    expect(state.resources['mattermost@10.4.1']).toMatchObject({ origin: 'adopted', digest: mm['10.4.1'], platforms: ['linux/amd64', 'linux/arm64'] });
    expect(state.resources['mattermost:latest']).toMatchObject({ version: '10.4.1', digest: mm['10.4.1'] });
  });

  it('refuses an address the state records, naming since when and by what, and leaves the state file byte-identical', async () => {
    const before = await readFile(stateFile(), 'utf8');
    for (const address of ['mattermost@10.4.1', 'mattermost:latest']) {
      const r = await run(['import', address]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^Error: ${address.replace(/[.]/g, '\\.')} is already in the state \\(adopted, since \\S+, recorded by import \\(\\S+\\)\\); import never overwrites a record\\.\\n`));
      expect(r.stderr).toContain(`mirror state rm ${address}`);
      expect(await readFile(stateFile(), 'utf8')).toBe(before);
    }
    expect((await run(['import', 'mattermost@10.4.1'])).stderr).toContain('mirror apply --replace mattermost@10.4.1');
    // A single-platform leftover and a referrer tag are refused too, in one sentence
    const single = await run(['import', 'mattermost@10.3.2']);
    expect(single.exitCode).toBe(1);
    expect(single.stderr).toMatch(/^Error: Not importing mattermost@10\.3\.2: it is a single-platform image: mirror plan rebuilds it as a multi-arch index\./);
    expect((await run(['import', `mattermost:${REFERRER}`])).stderr).toContain('holds attestations (the referrers tag schema), not an image');
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
  });

  it('import of another app changes only that app', async () => {
    const mattermost = await recordsOf('mattermost');
    expect((await run(['import', 'mostlymatter'])).exitCode).toBe(0);
    expect(await recordsOf('mattermost')).toBe(mattermost);
    expect(JSON.parse(await recordsOf('mostlymatter'))).toHaveLength(10); // 3 versions × (index + 2 builds) + latest
  });
});

describe('--target and --refresh-only change nothing outside their scope', () => {
  it('plan --refresh-only --target A reports no drift for other apps; apply --refresh-only --target A leaves state list identical', async () => {
    // Given mattermost's latest moved by hand (drift in mattermost only)
    const { bytes, descriptor } = await world.backend.getManifest('mattermost', '10.4.0');
    await world.backend.putManifest('mattermost', 'latest', bytes, descriptor.mediaType);
    const listed = await list();
    const state = await readFile(stateFile(), 'utf8');
    // When refreshing mostlymatter only
    const plan = await run(['plan', '--refresh-only', '--target', 'mostlymatter', '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).drift).toEqual([]);
    const applied = await run(['apply', '--refresh-only', '--target', 'mostlymatter', '--auto-approve']);
    // Then nothing of mattermost is reported, and the state is untouched
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout).toBe('No drift to record. The state matches the registry.');
    expect(await list()).toBe(listed);
    expect(await readFile(stateFile(), 'utf8')).toBe(state);
  });

  it('apply --refresh-only --target A records A\'s drift and leaves every other record byte-identical', async () => {
    const mostlymatter = await recordsOf('mostlymatter');
    const applied = await run(['apply', '--refresh-only', '--target', 'mattermost', '--auto-approve']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout).toBe('Refreshed 1 address(es) from the registry: mattermost:latest.');
    expect((await readState()).resources['mattermost:latest'].digest).toBe(mm['10.4.0']);
    expect(await recordsOf('mostlymatter')).toBe(mostlymatter);
  });

  it('apply --target A (a repair) and state rm A change only A', async () => {
    const mostlymatter = await recordsOf('mostlymatter');
    const applied = await run(['apply', '--target', 'mattermost:latest', '--auto-approve']);
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    expect((await readState()).resources['mattermost:latest'].digest).toBe(mm['10.4.1']);
    expect((await run(['state', 'rm', 'mattermost:latest'])).exitCode).toBe(0);
    expect(await recordsOf('mostlymatter')).toBe(mostlymatter);
  });
});

describe('state mv', () => {
  it('moves an index together with its platform records, and refuses a move to another app or image', async () => {
    const mostlymatter = await recordsOf('mostlymatter');
    const mv = await run(['state', 'mv', 'mattermost@10.4.0', 'mattermost@10.4.9']);
    expect(mv.exitCode, mv.stderr).toBe(0);
    const s = await readState();
    expect(Object.keys(s.resources).filter((a) => a.startsWith('mattermost@10.4.'))).toEqual(expect.arrayContaining([
      'mattermost@10.4.9', 'mattermost@10.4.9/linux/amd64', 'mattermost@10.4.9/linux/arm64',
    ]));
    expect(Object.keys(s.resources).filter((a) => a.startsWith('mattermost@10.4.0'))).toEqual([]);
    expect(s.resources['mattermost@10.4.9']).toMatchObject({ version: '10.4.9', tags: ['10.4.9'], digest: mm['10.4.0'] });
    expect(s.resources['mattermost@10.4.9/linux/arm64']).toMatchObject({ version: '10.4.9', platform: 'linux/arm64' });
    expect(await recordsOf('mostlymatter')).toBe(mostlymatter);
    // A move to another app is refused, and the state stays as it was
    const before = await readFile(stateFile(), 'utf8');
    const other = await run(['state', 'mv', 'mattermost@10.4.9', 'mostlymatter@10.4.9']);
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toMatch(/^Error: Refusing to move mattermost@10\.4\.9 to mostlymatter@10\.4\.9: that is another app \(mattermost\/mattermost → mostlymatter\/mostlymatter\)/);
    const kind = await run(['state', 'mv', 'mattermost@10.4.9', 'mattermost:stable']);
    expect(kind.exitCode).toBe(1);
    expect(kind.stderr).toContain('an index address moves only to another index address');
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
  });
});
