/**
 * A plan that would do nothing because nothing matched must say so: an empty window is a warning
 * naming the app and what upstream returned; a --target or --platform the config does not have is
 * an error (exit 1) with the closest name it does have, not "No changes".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedConfig, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
beforeAll(async () => {
  world = await startSeedWorld();
  const { mattermost, outline } = world.config.apps;
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2 }, apps: { mattermost, outline } });
});
afterAll(async () => { await world?.stop(); });

/** The seed apps as the rig defines them (each test changes its own copy). */
const seedApps = () => seedConfig(world.registry.url('mirror'), world.upstream.url).apps as Record<string, any>;

describe('an empty window is a warning that says why', () => {
  it('a tagPattern matching none of the upstream tags: the warning names the app, the count and the pattern', async () => {
    const { mattermost } = seedApps();
    const cfg = { ...world.config, apps: { mattermost: { ...mattermost, upstream: { ...mattermost.upstream, tagPattern: '^release-(\\d+\\.\\d+\\.\\d+)$' } } } };
    await world.writeConfig(cfg as never);
    const text = await mirror(['plan'], { cwd: world.dir });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^mattermost — window no versions$/m);
    expect(text.stdout).toMatch(/^ {2}warning: the window is empty: upstream returned \d+ tags, none matches tagPattern \^release-\(\\d\+\\\.\\d\+\\\.\\d\+\)\$ \(e\.g\. "v/m);
    const json = await mirror(['plan', '--json'], { cwd: world.dir });
    expect(JSON.parse(json.stdout).apps[0].warnings).toContainEqual(expect.stringMatching(/^the window is empty: upstream returned \d+ tags, none matches tagPattern/));
    expect(json.stderr).toMatch(/^warning: mattermost: the window is empty/m);
  });

  it('a versions range nothing satisfies names the range and the newest upstream version', async () => {
    const { mattermost } = seedApps();
    await world.writeConfig({ ...world.config, apps: { mattermost: { ...mattermost, upstream: { ...mattermost.upstream, versions: '>=99.0.0' } } } } as never);
    const json = await mirror(['plan', '--json'], { cwd: world.dir });
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).apps[0].warnings).toContainEqual(expect.stringMatching(/match tagPattern, none satisfies versions >=99\.0\.0 \(newest: \d+\.\d+\.\d+\)$/));
  });
});

describe('--target and --platform that match nothing in the config', () => {
  beforeAll(async () => {
    const { mattermost, outline } = seedApps();
    await world.writeConfig({ ...world.config, apps: { mattermost, outline } } as never);
  });

  it('plan --target with a mistyped app: exit 1, did you mean', async () => {
    const r = await mirror(['plan', '--target', 'mattermots@10.4.1'], { cwd: world.dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('Error: --target mattermots@10.4.1: the config has no app "mattermots". Did you mean mattermost@10.4.1?\nApps: mattermost, outline.');
  });

  it('a mistyped image or platform of a known app: exit 1, did you mean', async () => {
    const image = await mirror(['plan', '--target', 'outline/base-outlin@1.9.2'], { cwd: world.dir });
    expect(image.exitCode).toBe(1);
    expect(image.stderr).toContain('app outline has no image "base-outlin". Did you mean outline/base-outline@1.9.2?');
    const platform = await mirror(['plan', '--json', '--target', 'mattermost@10.4.1/linux/arm46'], { cwd: world.dir });
    expect(platform.exitCode).toBe(1);
    expect(JSON.parse(platform.stdout).error.message).toBe('--target mattermost@10.4.1/linux/arm46: app mattermost is not built for linux/arm46. Did you mean mattermost@10.4.1/linux/arm64?');
  });

  it('apply --platform that no app builds: exit 1 before anything runs, did you mean', async () => {
    const r = await mirror(['apply', '--auto-approve', '--platform', 'linux/arm46'], { cwd: world.dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('Error: --platform linux/arm46: no app in scope is built for that platform. Did you mean linux/arm64?\nKnown: linux/amd64, linux/arm64.');
    expect(r.stdout).toBe('');
  });

  it('a target that does match still plans (the check does not get in the way)', async () => {
    const r = await mirror(['plan', '--json', '--target', 'mattermost'], { cwd: world.dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).apps.map((a: any) => a.name)).toEqual(['mattermost']);
  });
});
