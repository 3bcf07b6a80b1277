/**
 * `mirror plan --format markdown` on the seed-shaped rig, read back as structure: drift first,
 * a summary table with one row per app, and a `<details>` per app holding exactly that app's
 * actions (the same as the plan JSON) with their reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/types.js';
import { parseMarkdown, type Block } from '../rig/markdown.js';
import { publishVersions, startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror } from './cli.js';

let world: SeedWorld;
beforeAll(async () => {
  world = await startSeedWorld();
  // Given mattermost 10.4.0 and 10.4.1 in the registry and adopted into the state…
  await publishVersions(world.backend, 'mattermost', ['10.4.0', '10.4.1']);
  const imported = await mirror(['import', 'mattermost'], { cwd: world.dir });
  expect(imported.exitCode, imported.stderr).toBe(0);
  // …and then the 10.4.1 tag moved by hand to 10.4.0's index (drift)
  const old = await world.backend.getManifest('mattermost', '10.4.0');
  await world.backend.putManifest('mattermost', '10.4.1', old.bytes, old.descriptor.mediaType);
});
afterAll(async () => { await world?.stop(); });

const tables = (blocks: Block[]) => blocks.flatMap((b) => (b.kind === 'table' ? [b.table] : []));

describe('plan --format markdown', () => {
  it('renders drift first, a summary table per app and a details block per app with its actions and reasons', async () => {
    const [md, json] = await Promise.all([
      mirror(['plan', '--format', 'markdown'], { cwd: world.dir }),
      mirror(['plan', '--json'], { cwd: world.dir }),
    ]);
    expect(md.exitCode, md.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as Plan;
    const blocks = parseMarkdown(md.stdout);

    // The heading and the summary sentence, then the drift callout and its table before anything else
    expect(blocks.slice(0, 4).map((b) => b.kind)).toEqual(['heading', 'paragraph', 'callout', 'table']);
    expect(blocks[0]).toEqual({ kind: 'heading', level: 3, text: 'mirror plan' });
    expect((blocks[1] as { text: string }).text).toMatch(/^\*\*Plan: \d+ builds, \d+ merges, 4 tag moves, \d+ attestations\.\*\* Registry `127\.0\.0\.1:\d+\/mirror`\.$/);
    expect((blocks[2] as { lines: string[] }).lines).toEqual(['[!WARNING]', '**Drift:** 1 address(es) in the registry differ from the state file.']);
    const [drift, summary] = tables(blocks.slice(3, 5));
    expect(drift.header).toEqual(['Address', 'Drift', 'State', 'Registry']);
    expect(drift.rows).toEqual([['`mattermost@10.4.1`', 'moved outside mirror', expect.stringMatching(/^`sha256:[0-9a-f]{12}`$/), expect.stringMatching(/^`sha256:[0-9a-f]{12}`$/)]]);

    // The summary table: one row per app with its counts, equal to the JSON's
    expect(summary.header).toEqual(['App', 'Window', 'Latest', 'Build', 'Merge', 'Tag', 'Attest', 'Prune', 'Import', 'Drift']);
    expect(summary.rows.map((r) => r[0])).toEqual(['mattermost', 'mostlymatter', 'outline']);
    for (const row of summary.rows) {
      const actions = plan.actions.filter((a) => a.app === row[0]);
      const count = (t: string) => String(actions.filter((a) => a.type === t).length);
      expect(row.slice(3), row[0]).toEqual([count('build'), count('merge'), count('tag'), count('attest'), count('prune'), count('import'), row[0] === 'mattermost' ? '1' : '0']);
    }
    expect(summary.rows[2].slice(1, 3)).toEqual(['1.10.0 … 1.9.0 (5 versions)', '1.10.0']);

    // One details block per app: open only for the drifted one, its drift row first, then exactly its actions
    const details = blocks.filter((b) => b.kind === 'details');
    expect(details.map((d) => [d.summary.split(':')[0], d.open])).toEqual([['mattermost', true], ['mostlymatter', false], ['outline', false]]);
    expect(details[0].summary).toMatch(/^mattermost: \d+ builds, \d+ merges, 1 tag move, \d+ attestations · ⚠️ 1 drifted$/);
    for (const d of details) {
      const name = d.summary.split(':')[0];
      const [table] = tables(d.blocks);
      expect(table.header).toEqual(['', 'Action', 'Address', 'Reason']);
      const rows = table.rows.filter((r) => r[1] !== 'drift');
      expect(rows.map((r) => `${r[1]} ${r[2].replace(/`/g, '')}`)).toEqual(plan.actions.filter((a) => a.app === name).map((a) => `${a.type} ${a.address}`));
      expect(rows.every((r) => r[3].length > 0)).toBe(true);
    }
    expect(tables(details[0].blocks)[0].rows[0]).toEqual(['!', 'drift', '`mattermost@10.4.1`', expect.stringMatching(/^moved outside mirror: state sha256:\w{12}, registry sha256:\w{12}$/)]);
    // Warnings of an app are a list inside its details (mostlymatter lost 10.3.2 to its requires probe)
    expect(details[1].blocks[0]).toEqual({ kind: 'list', items: [expect.stringContaining('dropped 10.3.2')] });
  });
});
