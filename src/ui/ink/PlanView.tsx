/**
 * The interactive plan (`mirror plan` on a terminal, and `mirror apply`'s confirmation): a tree
 * app → version → platform with Terraform's markers. Takes the plan JSON and the screen size as
 * props; only the rows that fit are drawn, so a 200-app plan redraws as cheaply as a small one.
 */
import { Box, Text, useInput } from 'ink';
import { useEffect, useMemo, useReducer, useRef } from 'react';
import type { Plan } from '../../plan/types.js';
import type { Approval } from '../approval.js';
import { MARKER_COLORS, summaryLine } from '../plan-summary.js';
import { KeyHelp } from './KeyHelp.js';
import { Line, wrapText, type Segment } from './Line.js';
import { type KeyPress, type NavState, navigate, rowsOf, splitKeys } from './plan-navigation.js';
import { buildPlanTree, initialFolds, labelColumn, markerOf, scrollOffset, type Kind, type Row } from './plan-tree.js';

/** `browse`: look and quit; `confirm`: answer y (apply) or n/q (abort). */
export type PlanViewMode = 'browse' | 'confirm';

/** Props of the plan view. */
export interface PlanViewProps {
  plan: Plan;
  width: number;
  height: number;
  mode: PlanViewMode;
  /** Confirm mode: what is approved (registry, state, scope) and whether `yes` must be typed. */
  approval?: Approval;
  /** Called once: true = apply (confirm mode, `y`), false = quit or abort. */
  onDone(approved: boolean): void;
}

const colorOf = (kind: Kind) => (kind === 'drift' ? 'magenta' : kind === 'none' ? undefined : MARKER_COLORS[kind]);

/** The cursor's column: `>` on its row, so the cursor shows without colour (NO_COLOR, --no-color). */
export const CURSOR = '> ';

function rowSegments(row: Row, labelWidth: number, cursor: boolean): Segment[] {
  const { node, depth, folded } = row;
  const fold = node.children.length === 0 ? '  ' : folded ? '▸ ' : '▾ ';
  const label = `${'  '.repeat(depth)}${fold}`;
  return [
    { text: cursor ? CURSOR : ' '.repeat(CURSOR.length), bold: true },
    { text: label },
    { text: `${markerOf(node.kind)} `, color: colorOf(node.kind), bold: true },
    { text: node.label.padEnd(Math.max(0, labelWidth - label.length)), bold: depth === 0 },
    { text: `  ${node.detail}`, dim: true },
  ];
}

/** The destructive plan's question, what has been typed, or why the last answer did not apply. */
function answerSegments(approval: Approval, state: NavState): Segment[] {
  if (state.typed !== undefined) return [{ text: 'Type yes to apply: ', color: 'red', bold: true }, { text: `${state.typed}▏` }, { text: '  enter answers · esc clears', dim: true }];
  const why = `This plan ${approval.destructive.join(', ')}.`;
  return state.refused
    ? [{ text: 'Only yes applies; nothing was applied. ', color: 'red', bold: true }, { text: why }]
    : [{ text: `${why} `, color: 'red', bold: true }, { text: 'Type yes and enter to apply.' }];
}

/** The interactive plan view. */
export function PlanView({ plan, width, height, mode, approval, onDone }: PlanViewProps) {
  const tree = useMemo(() => buildPlanTree(plan), [plan]);
  const widest = useMemo(() => labelColumn(tree), [tree]);
  const [state, dispatch] = useReducer((s: NavState, press: KeyPress) => navigate(tree, s, press), tree, (t): NavState => ({
    cursor: 0, folds: initialFolds(t), filter: '', editing: false, help: false,
  }));
  const { filter, editing, help } = state;
  const rows = useMemo(() => rowsOf(tree, state), [tree, state.filter, state.folds]);
  const offsetRef = useRef(0);

  // Header, summary and key line, the filter line when there is one, and one spare line: a frame
  // as tall as the screen scrolls it, and Ink then redraws the whole screen on every key.
  // Confirm mode adds the approval header, and the `type yes` line for a destructive plan.
  const asking = mode === 'confirm' && approval ? (approval.needsYes ? 2 : 1) : 0;
  // The summary wraps rather than being cut (its numbers are what a narrow terminal must still show).
  const summary = wrapText(summaryLine(plan), width);
  const visible = Math.max(1, height - 3 - summary.length - asking - (editing || filter ? 1 : 0));
  const at = Math.max(0, Math.min(state.cursor, rows.length - 1));
  const offset = scrollOffset(offsetRef.current, at, visible, rows.length);
  offsetRef.current = offset;
  const shown = rows.slice(offset, offset + visible);

  useInput((input, key) => {
    for (const k of splitKeys(input, key)) dispatch({ ...k, page: visible, confirm: mode === 'confirm', needsYes: approval?.needsYes });
  });
  const reported = useRef(false);
  useEffect(() => {
    if (!state.done || reported.current) return;
    reported.current = true;
    onDone(state.done === 'approved');
  }, [state.done, onDone]);

  // One reason column for the whole tree, so it does not move while scrolling, folding or filtering.
  const labelWidth = Math.min(Math.floor(width / 2), widest);
  const title = mode === 'confirm' ? 'mirror apply — review the plan' : `mirror plan — ${plan.registry}`;
  const needsYes = mode === 'confirm' && approval?.needsYes;
  const hint = needsYes ? 'type yes ⏎ apply · n/q abort · ↑↓ move · enter fold · / filter · ? help' : mode === 'confirm' ? 'y apply · n/q abort · ↑↓ move · enter fold · / filter · ? help' : '↑↓ move · enter fold · / filter · ? help · q quit';
  const position = rows.length > visible ? `  ${offset + 1}–${offset + shown.length} of ${rows.length}` : '';
  return (
    <Box flexDirection="column">
      <Line width={width} segments={[{ text: title, bold: true }, { text: position, dim: true }]} />
      {mode === 'confirm' && approval && <Line width={width} segments={[{ text: approval.header }]} />}
      {help ? <KeyHelp confirm={mode === 'confirm'} needsYes={Boolean(needsYes)} /> : (
        <Box flexDirection="column">
          {shown.length === 0 && <Text dimColor>{filter ? `nothing matches "${filter}"` : 'nothing to show'}</Text>}
          {shown.map((row, i) => <Line key={row.node.key} width={width} inverse={offset + i === at} segments={rowSegments(row, labelWidth, offset + i === at)} />)}
        </Box>
      )}
      {(editing || filter) && <Line width={width} segments={[{ text: editing ? `/${filter}▏` : `filter: ${filter}`, color: 'cyan' }, { text: editing ? '  enter keeps · esc clears' : '  esc clears', dim: true }]} />}
      {summary.map((l, i) => <Line key={`summary${i}`} width={width} segments={[{ text: l, bold: true }]} />)}
      {needsYes && approval && <Line width={width} segments={answerSegments(approval, state)} />}
      <Line width={width} segments={[{ text: hint, dim: true }]} />
    </Box>
  );
}
