/**
 * The hostile input corpus against the real CLI: one row per case (name, setup, expected
 * outcome), all sharing one registry and one upstream emulator. Every row also checks that
 * nothing ran, nothing was published and nothing was lost (see harness.ts).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { configRows } from './config-rows.js';
import { planFileRows, stateFileRows } from './file-rows.js';
import { runRow, startCorpus, type Corpus, type Row } from './harness.js';
import { linkRows, upstreamRows } from './upstream-rows.js';

let corpus: Corpus;
beforeAll(async () => { corpus = await startCorpus(); });
afterAll(async () => { await corpus?.stop(); });

const tables: [string, Row[]][] = [
  ['upstream tags and release JSON', [...upstreamRows, ...linkRows]],
  ['config values', configRows],
  ['saved plan files', planFileRows],
  ['state files', stateFileRows],
];

for (const [title, rows] of tables) {
  describe(`hostile ${title}`, () => {
    // Rows are independent (own directory, app, upstream repository), so they run a few at a time.
    it.concurrent.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      await runRow(corpus, row);
    });
  });
}
