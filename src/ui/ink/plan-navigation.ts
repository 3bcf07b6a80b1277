/**
 * Keys of the plan view as a pure reducer: every key press goes through one function of
 * (state, key), so fast typing never reads a stale render and navigation is testable alone.
 */
import { filterTree, flattenTree, type Row, type TreeNode } from './plan-tree.js';

/** What the view remembers between keys. */
export interface NavState {
  cursor: number;
  folds: ReadonlySet<string>;
  filter: string;
  /** Typing a filter after `/`. */
  editing: boolean;
  help: boolean;
  /** Confirming a plan that needs the word `yes`: what has been typed so far (after the first `y`). */
  typed?: string;
  /** The last typed answer was not `yes` (shown, nothing applied). */
  refused?: boolean;
  /** Set once: `approved` (y in confirm mode) or `aborted` (q, n, esc, ctrl-c). */
  done?: 'approved' | 'aborted';
}

/** The subset of Ink's `Key` the view reacts to. */
export interface KeyFlags {
  upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean;
  pageUp?: boolean; pageDown?: boolean; home?: boolean; end?: boolean;
  return?: boolean; escape?: boolean; backspace?: boolean; delete?: boolean; ctrl?: boolean; meta?: boolean;
}

/** One key press, with the page size of the screen it was pressed on. */
export interface KeyPress {
  input: string;
  key: KeyFlags;
  page: number;
  confirm: boolean;
  /** Confirm mode: only the typed word `yes` and enter approve (a destructive plan). */
  needsYes?: boolean;
}

/** The rows a state shows. */
export function rowsOf(tree: TreeNode[], s: Pick<NavState, 'filter' | 'folds'>): Row[] {
  return flattenTree(filterTree(tree, s.filter), s.folds);
}

function fold(s: NavState, row: Row | undefined, open?: boolean): NavState {
  if (!row || row.node.children.length === 0) return s;
  const folds = new Set(s.folds);
  if (open ?? row.folded) folds.delete(row.node.key); else folds.add(row.node.key);
  return { ...s, folds };
}

function editFilter(s: NavState, { input, key }: KeyPress): NavState {
  if (key.return) return { ...s, editing: false };
  if (key.escape) return { ...s, editing: false, filter: '', cursor: 0 };
  if (key.backspace || key.delete) return { ...s, filter: s.filter.slice(0, -1), cursor: 0 };
  if (input && !key.ctrl && !key.meta) return { ...s, filter: s.filter + input, cursor: 0 };
  return s;
}

/** Typing the answer of a destructive plan: `yes` then enter approves, anything else is refused. */
function typeAnswer(s: NavState, { input, key }: KeyPress): NavState {
  const typed = s.typed ?? '';
  if (key.return) return typed === 'yes' ? { ...s, typed: undefined, done: 'approved' } : { ...s, typed: undefined, refused: true };
  if (key.escape) return { ...s, typed: undefined };
  if (key.backspace || key.delete) return { ...s, typed: typed.slice(0, -1) };
  if (input && !key.ctrl && !key.meta) return { ...s, typed: typed + input };
  return s;
}

/** The state after a key. */
export function navigate(tree: TreeNode[], s: NavState, press: KeyPress): NavState {
  const { input, key, page, confirm } = press;
  if (s.done) return s;
  if (key.ctrl && input === 'c') return { ...s, done: 'aborted' };
  if (s.editing) return editFilter(s, press);
  if (s.typed !== undefined) return typeAnswer(s, press);
  if (s.help) return { ...s, help: false };
  // A destructive plan: `y` starts the answer, only `yes` + enter approves (Terraform's rule).
  if (confirm && press.needsYes && input === 'y') return { ...s, typed: 'y', refused: false };
  if (confirm && input === 'y') return { ...s, done: 'approved' };
  if (input === 'q' || (confirm && input === 'n')) return { ...s, done: 'aborted' };
  if (key.escape) return s.filter ? { ...s, filter: '', cursor: 0 } : confirm ? { ...s, done: 'aborted' } : s;
  if (input === '/') return { ...s, editing: true, cursor: 0 };
  if (input === '?') return { ...s, help: true };
  const rows = rowsOf(tree, s);
  const last = Math.max(0, rows.length - 1);
  const at = Math.min(s.cursor, last);
  const move = (cursor: number) => ({ ...s, cursor: Math.max(0, Math.min(last, cursor)) });
  if (key.upArrow || input === 'k') return move(at - 1);
  if (key.downArrow || input === 'j') return move(at + 1);
  if (key.pageUp) return move(at - page);
  if (key.pageDown) return move(at + page);
  if (key.home || input === 'g') return move(0);
  if (key.end || input === 'G') return move(last);
  if (key.return || input === ' ') return fold(s, rows[at]);
  if (key.rightArrow || input === 'l') return fold(s, rows[at], true);
  if (key.leftArrow || input === 'h') {
    const row = rows[at];
    if (row && row.node.children.length > 0 && !row.folded) return fold(s, row, false);
    // On a row inside (or already folded): go to the parent.
    for (let j = at - 1; j >= 0; j--) if (row && rows[j].depth < row.depth) return move(j);
  }
  return s;
}

/**
 * Ink hands over a run of plain characters that arrived together (`j⏎` from fast typing, a paste,
 * tmux send-keys) as one input; replay it one key at a time so each one counts.
 */
export function splitKeys(input: string, key: KeyFlags): Array<{ input: string; key: KeyFlags }> {
  if ([...input].length <= 1 || key.ctrl || key.meta || key.escape) return [{ input, key }];
  return [...input].map((ch) => {
    if (ch === '\r' || ch === '\n') return { input: '', key: { return: true } };
    if (ch === '\x7f' || ch === '\b') return { input: '', key: { backspace: true } };
    return { input: ch, key: {} };
  });
}
