/**
 * `mirror plan` and `mirror apply` in a real terminal (tmux), against the rig's registry and
 * upstream emulator: what the screen shows, the keys, and what confirming or aborting does. The
 * apply world has its versions published and the state empty, so apply only moves `latest` (fast).
 */
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishVersions, seedConfig, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { startTerminal, type Terminal } from '../rig/tmux.js';
import { mirror, ROOT } from './cli.js';

let world: SeedWorld;
let digests: Record<string, string>;
let terminal: Terminal | undefined;
beforeAll(async () => {
  world = await startSeedWorld();
  // The plan test reads the full seed config (three apps, nothing in the registry yet)…
  await writeFile(path.join(world.dir, 'plan.config.json'), JSON.stringify(seedConfig(world.registry.url('mirror'), world.upstream.url)));
  // …the apply tests one app whose two window versions are already in the registry.
  const { mattermost } = world.config.apps;
  await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2, attest: { sbom: false, provenance: false, sign: false } }, apps: { mattermost } });
  digests = await publishVersions(world.backend, 'mattermost', ['10.4.0', '10.4.1']);
});
afterEach(async () => { await terminal?.kill(); terminal = undefined; });
afterAll(async () => { await world?.stop(); });

const open = async (args: string[]) => {
  terminal = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), ...args], { cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' } });
  return terminal;
};
const exists = async (file: string) => access(file).then(() => true, () => false);

describe('mirror on a terminal', () => {
  it('plan: a tree with markers and the summary; enter unfolds, / filters, ? helps, q quits with 0', async () => {
    // When mirror plan runs in a 120×40 terminal
    const t = await open(['plan', '--config', 'plan.config.json']);
    // Then the tree shows the apps with their markers, versions folded (a large plan), and the summary footer
    // (mattermost 10.4.0 and 10.4.1 are in the registry already: the apply tests published them, and
    // with no state the plan adopts them (issue 14): an import and an attest each)
    let screen = await t.waitFor('Plan: 56 builds, 28 merges, 4 tag moves, 30 attestations, 2 imports.');
    // (the longer summary leaves no room for the window's far end in 120 columns)
    expect(screen).toMatch(/^> ▾ \+ mattermost +16 builds, 8 merges, 1 tag move, 10 attestations, 2 imports · window 10\.4\.…$/m);
    expect(screen).toMatch(/^ {4}▸ ✓ 10\.4\.1 +1 attestation, 1 import — in registry, not in state: adopt/m);
    expect(screen).toMatch(/^ {6}→ latest absent → 10\.4\.1 +latest → 10\.4\.1 \(missing in registry\)/m);
    expect(screen).toMatch(/^ {4}▸ \+ 10\.3\.2 +2 builds, 1 merge, 1 attestation — missing in registry/m);
    expect(screen).toMatch(/^ {6}→ outline:latest absent → 1\.10\.0 +/m);
    expect(screen).toContain('↑↓ move · enter fold · / filter · ? help · q quit');
    // When moving to 10.3.2 (past latest, 10.4.1 and 10.4.0) and pressing enter
    await t.keys('Down', 'j', 'j', 'j', 'Enter');
    // Then its platforms unfold with their reasons
    screen = await t.waitFor(/^> {3}▾ \+ 10\.3\.2/m);
    expect(screen).toMatch(/^ {8}\+ linux\/amd64 +missing in registry$/m);
    expect(screen).toMatch(/^ {8}~ index +missing in registry$/m);
    // When filtering on outline
    await t.keys('/');
    await t.type('outline');
    await t.keys('Enter');
    screen = await t.waitFor('filter: outline');
    expect(screen).toMatch(/^> ▾ \+ outline +/m);
    expect(screen).not.toContain('mattermost');
    // When asking for help, then closing it
    await t.keys('?');
    await t.waitFor('fold or unfold an app or version');
    await t.keys('x');
    await t.waitFor('filter: outline');
    // When quitting
    await t.keys('q');
    await t.waitFor('[exit 0]');
    // Then the browser drew on the alternate screen: the scrollback holds the whole plan as plain
    // text, not its last (filtered, folded) frame
    const out = await t.scrollback();
    expect(out).not.toContain('filter: outline');
    expect(out).not.toContain('↑↓ move');
    for (const app of ['mattermost', 'mostlymatter', 'outline']) expect(out).toMatch(new RegExp(`^${app} — window `, 'm'));
    expect(out).toMatch(/^ {2}\+ build +mattermost@10\.3\.2\/linux\/amd64 /m);
    expect(out).toMatch(/^Plan: 56 builds, 28 merges, 4 tag moves, 30 attestations, 2 imports\.\n+\[exit 0\]/m);
  });

  it('plan with NO_COLOR: the cursor row is marked with > (reverse video alone is invisible without colour)', async () => {
    terminal = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'plan', '--config', 'plan.config.json'], {
      cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' },
    });
    const t = terminal;
    // The cursor starts on the first app…
    let screen = await t.waitFor('q quit');
    expect(screen.split('\n').filter((l) => l.startsWith('>'))).toEqual([expect.stringMatching(/^> ▾ \+ mattermost /)]);
    // …and the marker follows it down to 10.4.1 (past the latest move), on exactly one row
    await t.keys('Down', 'Down');
    screen = await t.waitFor(/^> {3}▸ ✓ 10\.4\.1 /m);
    expect(screen.split('\n').filter((l) => l.startsWith('>'))).toHaveLength(1);
    await t.keys('q');
    await t.waitFor('[exit 0]');
  });

  it('plan at 40 columns: the summary line wraps, no … in it', async () => {
    terminal = await startTerminal([process.execPath, path.join(ROOT, 'bin/run.js'), 'plan', '--config', 'plan.config.json'], {
      cwd: world.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' }, width: 40, height: 30,
    });
    const screen = await terminal.waitFor(/^Plan: /m);
    const lines = screen.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Plan: '));
    expect(lines.slice(at, at + 3)).toEqual(['Plan: 56 builds, 28 merges, 4 tag moves,', '30 attestations, 2 imports.', expect.stringMatching(/^↑↓ move/)]);
    await terminal.keys('q');
    await terminal.waitFor('[exit 0]');
  });

  it('apply: q at the confirmation aborts, nothing is applied, exit 1', async () => {
    const t = await open(['apply']);
    const screen = await t.waitFor('y apply · n/q abort');
    expect(screen).toContain('mirror apply — review the plan');
    expect(screen).toMatch(/→ latest absent → 10\.4\.1 +latest/);
    expect(screen).toContain('Plan: 1 tag move, 2 imports.');
    await t.keys('q');
    expect(await t.waitFor('[exit 1]')).toContain('Apply cancelled; nothing was changed.');
    expect(await world.backend.headManifest('mattermost', 'latest')).toBeUndefined();
    expect(await exists(path.join(world.dir, '.mirror', 'state.json'))).toBe(false);
  });

  it('apply: y at the confirmation applies, the live view ends with the summary, exit 0', async () => {
    const t = await open(['apply']);
    await t.waitFor('y apply · n/q abort');
    await t.keys('y');
    const screen = await t.waitFor('[exit 0]');
    // (the two published versions are adopted first: two imports, then the tag)
    expect(screen).toContain('mirror apply — 3 actions');
    expect(screen).toMatch(/→ tag +mattermost:latest +\d+\.\ds +done/);
    expect(screen).toMatch(/\[█+\] 3\/3 · 3 done · 0 failed · 0 skipped · \d/);
    expect(screen).toContain('Apply: 3 done, 0 failed, 0 skipped.');
    expect((await world.backend.headManifest('mattermost', 'latest'))?.digest).toBe(digests['10.4.1']);
    // And the scrollback holds what was approved (header and plain plan), then the final frame,
    // not the confirmation view or intermediate live frames (they were on the alternate screen)
    const out = await t.scrollback();
    expect(out).toMatch(/^registry 127\.0\.0\.1:\d+\/mirror · no state yet · scope all apps\n\nmattermost — window /m);
    expect(out).toMatch(/^Plan: 1 tag move, 2 imports\.\nApproved\.\n\nmirror apply — 3 actions$/m);
    expect(out).not.toContain('y apply · n/q abort');
    expect(out.match(/mirror apply — 3 actions/g)).toHaveLength(1);
  });

  it('apply: a plan that prunes is not applied on y, only on the typed word yes; the header names registry, state and scope', async () => {
    // Given the state records both published versions (an unattended apply adopts them and moves latest)…
    const adopted = await mirror(['apply', '--auto-approve'], { cwd: world.dir });
    expect(adopted.exitCode, adopted.stdout + adopted.stderr).toBe(0);
    // …and a config whose window keeps only the newest: 10.4.0 is pruned
    const { mattermost } = world.config.apps;
    await writeFile(path.join(world.dir, 'prune.config.json'), JSON.stringify({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 1, retention: { keepLatest: 1 } }, apps: { mattermost } }));
    const t = await open(['apply', '--config', 'prune.config.json', '--target', 'mattermost']);
    let screen = await t.waitFor('type yes ⏎ apply · n/q abort');
    expect(screen).toMatch(/^registry 127\.0\.0\.1:\d+\/mirror · state serial \d+, lineage [0-9a-f]{8} · scope --target mattermost$/m);
    expect(screen).toContain('This plan prunes 1 version from the registry. Type yes and enter to apply.');
    // When pressing y and enter: nothing is applied
    await t.keys('y');
    await t.waitFor('Type yes to apply: y▏');
    await t.keys('Enter');
    screen = await t.waitFor('Only yes applies; nothing was applied.');
    expect(screen).not.toContain('[exit');
    expect(await world.backend.headManifest('mattermost', '10.4.0')).toBeDefined();
    // When typing yes and enter: the prune runs
    await t.type('yes');
    await t.waitFor('Type yes to apply: yes▏');
    await t.keys('Enter');
    screen = await t.waitFor('[exit 0]', 30_000);
    expect(screen).toContain('Apply: 1 done, 0 failed, 0 skipped.');
    expect(await world.backend.headManifest('mattermost', '10.4.0')).toBeUndefined();
    expect((await world.backend.headManifest('mattermost', '10.4.1'))?.digest).toBe(digests['10.4.1']);
  });
});
