/**
 * The interactive plan (`mirror plan` on a terminal, and `mirror apply`'s confirmation): a tree
 * app → version → platform with Terraform's markers. Takes the plan JSON and the screen size as
 * props; only the rows that fit are drawn, so a 200-app plan redraws as cheaply as a small one.
 */
import { Box, Text, useInput } from 'ink';
import { useMemo, useRef, useState } from 'react';
import type { Plan } from '../../plan/types.js';
import { MARKER_COLORS, summaryLine } from '../plan-summary.js';
import { KeyHelp } from './KeyHelp.js';
import { Line, type Segment } from './Line.js';
import { buildPlanTree, filterTree, flattenTree, initialFolds, markerOf, scrollOffset, type Kind, type Row } from './plan-tree.js';

/** `browse`: look and quit; `confirm`: answer y (apply) or n/q (abort). */
export type PlanViewMode = 'browse' | 'confirm';

/** Props of the plan view. */
export interface PlanViewProps {
  plan: Plan;
  width: number;
  height: number;
  mode: PlanViewMode;
  /** Called once: true = apply (confirm mode, `y`), false = quit or abort. */
  onDone(approved: boolean): void;
}

const colorOf = (kind: Kind) => (kind === 'drift' ? 'magenta' : kind === 'none' ? undefined : MARKER_COLORS[kind]);

function rowSegments(row: Row, labelWidth: number): Segment[] {
  const { node, depth, folded } = row;
  const fold = node.children.length === 0 ? '  ' : folded ? '▸ ' : '▾ ';
  const label = `${'  '.repeat(depth)}${fold}`;
  return [
    { text: label },
    { text: `${markerOf(node.kind)} `, color: colorOf(node.kind), bold: true },
    { text: node.label.padEnd(Math.max(0, labelWidth - label.length)), bold: depth === 0 },
    { text: `  ${node.detail}`, dim: true },
  ];
}

/** The interactive plan view. */
export function PlanView({ plan, width, height, mode, onDone }: PlanViewProps) {
  const tree = useMemo(() => buildPlanTree(plan), [plan]);
  const [folds, setFolds] = useState(() => initialFolds(tree));
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState(false);
  const [help, setHelp] = useState(false);
  const [cursor, setCursor] = useState(0);
  const done = useRef(false);
  const offsetRef = useRef(0);
  const rows = useMemo(() => flattenTree(filterTree(tree, filter), folds), [tree, filter, folds]);

  // Header, summary and key line, the filter line when there is one, and one spare line: a frame
  // as tall as the screen scrolls it, and Ink then redraws the whole screen on every key.
  const visible = Math.max(1, height - 4 - (editing || filter ? 1 : 0));
  const at = Math.max(0, Math.min(cursor, rows.length - 1));
  const offset = scrollOffset(offsetRef.current, at, visible, rows.length);
  offsetRef.current = offset;
  const shown = rows.slice(offset, offset + visible);

  const finish = (approved: boolean) => {
    if (done.current) return;
    done.current = true;
    onDone(approved);
  };
  const toggle = (row: Row | undefined, open?: boolean) => {
    if (!row || row.node.children.length === 0) return;
    const next = new Set(folds);
    if (open ?? row.folded) next.delete(row.node.key); else next.add(row.node.key);
    setFolds(next);
  };
  const parentOf = (i: number) => { for (let j = i - 1; j >= 0; j--) if (rows[j].depth < rows[i].depth) return j; return i; };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return finish(false);
    if (editing) {
      if (key.return) setEditing(false);
      else if (key.escape) { setFilter(''); setEditing(false); }
      else if (key.backspace || key.delete) setFilter(filter.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) { setFilter(filter + input); setCursor(0); }
      return;
    }
    if (help) { setHelp(false); return; }
    if (mode === 'confirm' && input === 'y') return finish(true);
    if (input === 'q' || (mode === 'confirm' && input === 'n')) return finish(false);
    if (key.escape) { if (filter) { setFilter(''); setCursor(0); } else if (mode === 'confirm') finish(false); return; }
    const last = rows.length - 1;
    if (key.upArrow || input === 'k') setCursor(Math.max(0, at - 1));
    else if (key.downArrow || input === 'j') setCursor(Math.min(last, at + 1));
    else if (key.pageUp) setCursor(Math.max(0, at - visible));
    else if (key.pageDown) setCursor(Math.min(last, at + visible));
    else if (input === 'g' || key.home) setCursor(0);
    else if (input === 'G' || key.end) setCursor(last);
    else if (key.return || input === ' ') toggle(rows[at]);
    else if (key.rightArrow || input === 'l') toggle(rows[at], true);
    else if (key.leftArrow || input === 'h') {
      if (rows[at] && rows[at].node.children.length > 0 && !rows[at].folded) toggle(rows[at], false); else setCursor(parentOf(at));
    } else if (input === '/') { setEditing(true); setCursor(0); }
    else if (input === '?') setHelp(true);
  });

  const labelWidth = Math.min(Math.floor(width / 2), Math.max(0, ...shown.map((r) => 2 * r.depth + 2 + r.node.label.length)));
  const title = mode === 'confirm' ? 'mirror apply — review the plan' : `mirror plan — ${plan.registry}`;
  const hint = mode === 'confirm' ? 'y apply · n/q abort · ↑↓ move · enter fold · / filter · ? help' : '↑↓ move · enter fold · / filter · ? help · q quit';
  const position = rows.length > visible ? `  ${offset + 1}–${offset + shown.length} of ${rows.length}` : '';
  return (
    <Box flexDirection="column">
      <Line width={width} segments={[{ text: title, bold: true }, { text: position, dim: true }]} />
      {help ? <KeyHelp confirm={mode === 'confirm'} /> : (
        <Box flexDirection="column">
          {shown.length === 0 && <Text dimColor>{filter ? `nothing matches "${filter}"` : 'nothing to show'}</Text>}
          {shown.map((row, i) => <Line key={row.node.key} width={width} inverse={offset + i === at} segments={rowSegments(row, labelWidth)} />)}
        </Box>
      )}
      {(editing || filter) && <Line width={width} segments={[{ text: editing ? `/${filter}▏` : `filter: ${filter}`, color: 'cyan' }, { text: editing ? '  enter keeps · esc clears' : '  esc clears', dim: true }]} />}
      <Line width={width} segments={[{ text: summaryLine(plan), bold: true }]} />
      <Line width={width} segments={[{ text: hint, dim: true }]} />
    </Box>
  );
}
