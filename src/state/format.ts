/**
 * State format versions: one reader per version and an upgrade path to the current one, so a
 * state written by an older mirror is read as-is and rewritten in the new format on the next
 * write (the backup keeps the old bytes). A newer format is refused: guessing loses data.
 *
 * v1 → v2: history events name the command that made them (`operation`), so an audit can tell an
 * apply from a hand-run `state rm` without parsing `action`.
 */
import { z } from 'zod';
import { issuePath } from '../system/issue-path.js';
import { HistoryEventSchema, ResourceSchema, STATE_FORMAT_VERSION, StateSchema, type State } from './types.js';
import { jsonProblem } from '../system/json-problem.js';

/** formatVersion 1, as mirror 0.1 wrote it. */
const StateV1Schema = z.object({
  formatVersion: z.literal(1),
  lineage: z.string().uuid(),
  serial: z.number().int().nonnegative(),
  resources: z.record(z.string(), ResourceSchema),
  history: z.array(HistoryEventSchema.omit({ operation: true })),
});
type StateV1 = z.infer<typeof StateV1Schema>;

const APPLY_ACTIONS = new Set(['build', 'merge', 'tag', 'attest', 'prune']);

/** The command a v1 event came from, from its action. */
function operationOf(action: string): string {
  if (APPLY_ACTIONS.has(action)) return 'apply';
  if (action === 'refresh') return 'apply --refresh-only';
  return action; // import, state rm, state mv, state push: the action was the command
}

/** v1 → v2. */
function upgradeV1(v1: StateV1): State {
  return { ...v1, formatVersion: 2, history: v1.history.map((e) => ({ ...e, operation: operationOf(e.action) })) };
}

/** What a reader made of a parsed JSON value. */
export type ReadResult = { ok: true; state: State; upgradedFrom?: number } | { ok: false; problem: string };

const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0];
  return `${issuePath(issue.path)}: ${issue.message}`;
};

/** Read state text (a file's bytes, an artifact's layer) in any known format version. */
export function readStateText(text: string): ReadResult {
  if (text.trim() === '') return { ok: false, problem: 'the file is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${jsonProblem(error)})` };
  }
  return readStateValue(value);
}

/** Read any known format version into the current one. */
function readStateValue(value: unknown): ReadResult {
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > STATE_FORMAT_VERSION) {
    return { ok: false, problem: `formatVersion ${version} is newer than this mirror understands (${STATE_FORMAT_VERSION}); upgrade mirror` };
  }
  if (version === 1) {
    const v1 = StateV1Schema.safeParse(value);
    return v1.success ? { ok: true, state: StateSchema.parse(upgradeV1(v1.data)), upgradedFrom: 1 } : { ok: false, problem: firstIssue(v1.error) };
  }
  const current = StateSchema.safeParse(value);
  return current.success ? { ok: true, state: current.data } : { ok: false, problem: firstIssue(current.error) };
}
