/**
 * Hostile files mirror reads back: saved plans and state files that are truncated, of the wrong
 * shape, from another lineage or a newer mirror, or hand-edited to carry hostile names. Each must
 * be refused naming the file, and a state file must never be overwritten by the refusal.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Row, RowContext } from './harness.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A valid, empty state of `lineage`. */
const state = (lineage = randomUUID(), extra: Record<string, unknown> = {}) => ({ formatVersion: 2, lineage, serial: 3, resources: {}, history: [], ...extra });

/** Write the row's state file. */
const withState = (content: string | object) => async (ctx: RowContext) => {
  await ctx.write(ctx.statePath, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
};

/** Save a real plan to plan.json, then let `edit` change it. */
const savedPlan = (edit: (plan: Record<string, any>, ctx: RowContext) => unknown) => async (ctx: RowContext) => {
  const r = await ctx.run(['plan', '--out', 'plan.json']);
  if (r.exitCode !== 0) throw new Error(`setup plan failed: ${r.stderr}`);
  const file = path.join(ctx.dir, 'plan.json');
  const plan = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
  const edited = edit(plan, ctx);
  await writeFile(file, typeof edited === 'string' ? edited : JSON.stringify(edited ?? plan));
};

const CORRUPT = /^Error: State file .*state\.json is corrupt: /;
const NOT_A_PLAN = /^Error: Plan file .*plan\.json (is not a mirror plan|cannot be read)/;
const APPLY_PLAN = ['apply', 'plan.json'];

export const planFileRows: Row[] = [
  { name: 'plan file truncated', setup: savedPlan((_p, _c) => '{"formatVersion":1,"actions":[{"id":'), command: APPLY_PLAN, expect: { error: /^Error: Plan file .*plan\.json cannot be read: / } },
  { name: 'plan file is a JSON list', setup: savedPlan(() => []), command: APPLY_PLAN, expect: { error: NOT_A_PLAN } },
  { name: 'plan file from a newer mirror (formatVersion 2)', setup: savedPlan((p) => ({ ...p, formatVersion: 2 })), command: APPLY_PLAN, expect: { error: /^Error: Plan file .*plan\.json has formatVersion 2, newer than this mirror understands/ } },
  { name: 'plan file: actions is a string', setup: savedPlan((p) => ({ ...p, actions: 'build everything' })), command: APPLY_PLAN, expect: { error: NOT_A_PLAN } },
  { name: 'plan file: an action without its fields', setup: savedPlan((p) => ({ ...p, actions: [{ type: 'build' }] })), command: APPLY_PLAN, expect: { error: NOT_A_PLAN } },
  {
    name: 'plan file: a hand-edited upstream tag with ; (would reach git clone --branch)',
    setup: savedPlan((p) => { p.apps[0].tags['1.0.0'] = 'v1.0.0;touch pwned'; }),
    command: APPLY_PLAN, expect: { error: NOT_A_PLAN },
  },
  {
    name: 'plan file: an image name with a traversal (would leave the namespace in the registry)',
    setup: savedPlan((p) => { for (const a of p.actions) a.image = '../../other/x'; }),
    command: APPLY_PLAN, expect: { error: NOT_A_PLAN },
  },
  {
    name: 'plan file: a version with a traversal',
    setup: savedPlan((p) => { for (const a of p.actions) if (a.version) a.version = '../../../v2/_catalog'; }),
    command: APPLY_PLAN, expect: { error: NOT_A_PLAN },
  },
  {
    name: 'plan file made for another lineage',
    setup: async (ctx) => {
      await withState(state())(ctx);
      await savedPlan((p) => ({ ...p, state: { lineage: randomUUID(), serial: 3 } }))(ctx);
    },
    command: APPLY_PLAN, expect: { error: /^Error: Saved plan .*plan\.json is stale: it was made for state lineage / },
  },
  {
    name: 'plan file made for another config',
    setup: savedPlan((p) => ({ ...p, configHash: DIGEST })),
    command: APPLY_PLAN, expect: { error: /is stale: the config changed since it was made/ },
  },
];

export const stateFileRows: Row[] = [
  { name: 'state file truncated', setup: withState('{"formatVersion":2,"lineage":"'), expect: { error: CORRUPT } },
  { name: 'state file empty', setup: withState(''), expect: { error: /is corrupt: the file is empty/ } },
  { name: 'state file: serial is a string', setup: withState({ ...state(), serial: '7' }), expect: { error: /is corrupt: serial: / } },
  { name: 'state file from a newer mirror (formatVersion 99)', setup: withState({ ...state(), formatVersion: 99 }), expect: { error: /formatVersion 99 is newer than this mirror understands/ } },
  { name: 'state file: lineage is not a uuid', setup: withState({ ...state(), lineage: '$(touch pwned)' }), expect: { error: /is corrupt: lineage: / } },
  {
    name: 'state file: a digest that is not sha256',
    setup: withState(state(undefined, { resources: { 'x@1.0.0': { type: 'index', app: 'x', image: 'x', version: '1.0.0', digest: 'md5:abc', createdAt: 'now', updatedAt: 'now' } } })),
    expect: { error: /is corrupt: resources\.x@1\.0\.0\.digest: / },
  },
  {
    name: 'state file: a recorded version with a traversal (would reach a registry URL)',
    setup: async (ctx) => withState(state(undefined, { resources: { [`${ctx.app}@1.0.0`]: { type: 'index', app: ctx.app, image: ctx.app, version: '../../../v2/_catalog', digest: DIGEST, createdAt: 'now', updatedAt: 'now' } } }))(ctx),
    command: ['plan', '--refresh-only', '--json'],
    expect: { error: /is corrupt: resources\..*version: / },
  },
  {
    name: 'state file is a directory',
    setup: async (ctx) => { await mkdir(ctx.statePath, { recursive: true }); },
    expect: { error: /^Error: State file .*state\.json cannot be read: / },
  },
  {
    name: 'state push of another lineage',
    setup: async (ctx) => { await withState(state())(ctx); await ctx.write('other.json', JSON.stringify(state())); },
    command: ['state', 'push', 'other.json'],
    expect: { error: /lineage/ },
  },
  {
    name: 'state push of a truncated file',
    setup: async (ctx) => { await withState(state())(ctx); await ctx.write('other.json', '{"formatVersion":2,'); },
    command: ['state', 'push', 'other.json'],
    expect: { error: /other\.json/ },
  },
  {
    name: 'state merge of a fragment from another lineage',
    setup: async (ctx) => {
      await withState(state())(ctx);
      await ctx.write('fragment.json', JSON.stringify({ ...state(), fragment: { plan: DIGEST } }));
    },
    command: ['state', 'merge', 'fragment.json'],
    expect: { error: /lineage|fragment/ },
  },
  {
    name: 'lock file holding garbage',
    setup: async (ctx) => { await withState(state())(ctx); await ctx.write(`${ctx.statePath}.lock`, '{"id":'); },
    command: ['apply', '--auto-approve'],
    expect: { error: /lock/i },
  },
];
