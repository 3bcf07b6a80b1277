/**
 * `mirror plan --preflight` against the rig's git repositories and file server: a version whose
 * tag is missing upstream and a patch that no longer applies are reported by the plan, as `!`
 * rows with the reason, before anything is built; `--detailed-exitcode` exits 1.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/config/schema.js';
import type { Plan } from '../../src/plan/types.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
let only: (app: 'mattermost' | 'mostlymatter', patch?: (c: MirrorConfig['apps'][string]) => MirrorConfig['apps'][string]) => MirrorConfig;
beforeAll(async () => {
  // Mostlymatter's repository has only the 10.4.0 tag: its window's 10.4.1 cannot be checked out.
  world = await startSeedWorld({ sources: { mattermost: ['10.4.0', '10.4.1'], mostlymatter: ['10.4.0'], outline: [] } });
  const seed = world.config; // (writeConfig replaces world.config)
  only = (app, patch = (c) => c) => ({
    ...seed,
    defaults: { ...seed.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } },
    apps: { [app]: patch(seed.apps[app]) },
  });
}, 120_000);
afterAll(async () => { await world?.stop(); });

const run = (args: string[]) => mirror(args, { cwd: world.dir });
const exists = async (file: string) => access(file).then(() => true, () => false);

describe('mirror plan --preflight', () => {
  it('a missing tag and a patch that no longer applies are ! rows with the reason, before any build; --detailed-exitcode exits 1', async () => {
    // Given upstream changed the line the third patch replaces (the config still names the old one)
    await world.writeConfig(only('mostlymatter', (c) => ({
      ...c, patches: [...(c.patches ?? []).slice(0, 2), { file: 'server/build/Dockerfile', replace: 'curl -L $MM_PACKAGE | tar -xvz --strip-components=0', with: 'true' }],
    })));
    // When planning with preflight
    const r = await run(['plan', '--preflight', '--detailed-exitcode']);
    // Then it exits 1 and names each problem by version, check and reason
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toContain('Preflight: 2 problems — these versions would fail before building.');
    expect(r.stdout).toMatch(/^ {2}! mostlymatter@10\.4\.0 +patch: apps\.mostlymatter patches\[2\] \(replace "curl -L \$MM_PACKAGE \| tar -xvz --strip-c"\) changed nothing in server\/build\/Dockerfile\.$/m);
    expect(r.stdout).toMatch(/^ {2}! mostlymatter@10\.4\.1 +ref: tag v10\.4\.1-limitless does not exist in file:\/\/\/.*\/git\/mostlymatter$/m);
    // And the plan is still the plan (the builds are shown), nothing was built or recorded
    expect(r.stdout).toContain('Plan: 4 builds, 2 merges, 1 tag move.');
    expect(await exists(path.join(world.dir, '.mirror', 'state.json'))).toBe(false);
    expect(await world.backend.listTags('mostlymatter').catch(() => [])).toEqual([]);
    // And the JSON carries the same problems (what CI and the PR comment read)
    const json = await run(['plan', '--preflight', '--json']);
    const plan = JSON.parse(json.stdout) as Plan;
    expect(plan.preflight?.map((p) => [p.address, p.check])).toEqual([['mostlymatter@10.4.0', 'patch'], ['mostlymatter@10.4.1', 'ref']]);
    // And the markdown for the PR comment calls them out
    const md = await run(['plan', '--preflight', '--format', 'markdown']);
    expect(md.stdout).toContain('| ! | `mostlymatter@10.4.1` | ref | tag v10.4.1-limitless does not exist in');
  }, 120_000);

  it('a required URL that does not answer is a ! row; a clean plan says it passed and keeps exit 2', async () => {
    // Given mattermost's build arg points at a tarball the file server does not have for 10.4.1
    await world.writeConfig(only('mattermost', (c) => ({ ...c, buildArgs: { MM_PACKAGE: `${world.upstream.url}/releases/{version}/mattermost-{version}-linux-{arch}.tar.gz`, EXTRA: `${world.upstream.url}/extras/{version}.txt` } })));
    world.upstream.files.set('/extras/10.4.0.txt', 'ok');
    const r = await run(['plan', '--preflight', '--detailed-exitcode']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout, r.stderr).toMatch(/^ {2}! mattermost@10\.4\.1 +url: http:\/\/127\.0\.0\.1:\d+\/extras\/10\.4\.1\.txt answered 404$/m);
    expect(r.stdout).not.toMatch(/! mattermost@10\.4\.0/);
    // When the file appears, the same plan passes preflight
    world.upstream.files.set('/extras/10.4.1.txt', 'ok');
    const ok = await run(['plan', '--preflight', '--detailed-exitcode']);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(2);
    expect(ok.stdout).toContain('Preflight: every version to build passed (source tags, patches, URLs).');
  }, 120_000);
});
