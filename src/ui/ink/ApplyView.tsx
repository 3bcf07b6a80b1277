/**
 * The live apply view: one row per running or finished action (spinner, elapsed, status), the
 * running builds' last log lines, a progress bar with counts and elapsed time, failures in red
 * with their first error line and their last log lines (why, without rerunning), and the final
 * summary. Pure: progress and the clock are props.
 */
import { Box } from 'ink';
import { outcomeLine } from '../apply-lines.js';
import { MARKERS, MARKER_COLORS } from '../plan-summary.js';
import { type ActionRow, type ApplyProgress, LOG_TAIL, countRows, elapsedText, progressBar, visibleRows } from './apply-progress.js';
import { Line, wrapText, type Segment } from './Line.js';

// Narrower than this, the progress bar says too little to share the counts' line.
const MIN_BAR = 10;

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Props of the live apply view. */
export interface ApplyViewProps {
  progress: ApplyProgress;
  /** Epoch ms: drives the spinner and running times. */
  now: number;
  width: number;
  height: number;
}

function rowSegments(r: ActionRow, now: number, pad: number): Segment[] {
  const ms = r.ms ?? now - r.startedAt;
  const head: Segment[] = [{ text: `${r.type.padEnd(7)}${r.address.padEnd(pad)}  ` }];
  if (r.status === 'running') return [{ text: `${SPINNER[Math.floor(now / 80) % SPINNER.length]} `, color: 'cyan' }, ...head, { text: `${elapsedText(ms).padStart(7)}  running`, dim: true }];
  if (r.status === 'done') return [{ text: `${MARKERS[r.type]} `, color: MARKER_COLORS[r.type] }, ...head, { text: `${elapsedText(ms).padStart(7)}  done${r.digest ? ` ${r.digest.slice(0, 19)}` : ''}`, dim: true }];
  if (r.status === 'failed') return [{ text: '✗ ', color: 'red', bold: true }, { ...head[0], color: 'red' }, { text: `${elapsedText(ms).padStart(7)}  failed: ${r.note ?? ''}`, color: 'red' }];
  return [{ text: '- ', dim: true }, { ...head[0], dim: true }, { text: `${''.padStart(7)}  skipped: ${r.note ?? ''}`, dim: true }];
}

/** The live apply view. */
export function ApplyView({ progress, now, width, height }: ApplyViewProps) {
  const n = countRows(progress);
  const finished = n.done + n.failed + n.skipped;
  const end = progress.outcome;
  // Title, progress bar, final summary and one spare line (a full-screen frame makes Ink redraw everything).
  // Actions not started yet have no row: the counts say how many wait (`0/18` beside 2 rows).
  const queued = end ? 0 : progress.total - progress.rows.length;
  const counts = `${finished}/${progress.total} · ${n.done} done · ${n.failed} failed · ${n.skipped} skipped${queued > 0 ? ` · ${queued} queued` : ''} · ${elapsedText(now - progress.startedAt)}`;
  // The bar shares its line with the counts when both fit; on a narrow screen the bar gets a line of
  // its own and the counts and the outcome wrap (cut, they would hide the numbers).
  const together = width - counts.length - 3 >= MIN_BAR;
  const barWidth = together ? Math.min(30, width - counts.length - 3) : Math.max(0, Math.min(30, width - 2));
  const countLines = together ? [] : wrapText(counts, width);
  const outcomeLines = end ? wrapText(outcomeLine(end), width) : [];
  const { rows, logs, failedTail, hidden } = visibleRows(progress, Math.max(1, height - 3 - countLines.length - outcomeLines.length));
  const pad = Math.min(Math.floor(width / 2), Math.max(0, ...rows.map((r) => r.address.length)));
  const barColor = n.failed > 0 ? 'red' : 'green';
  return (
    <Box flexDirection="column">
      <Line width={width} segments={[{ text: `mirror apply — ${progress.total} action${progress.total === 1 ? '' : 's'}`, bold: true }]} />
      {/* The hidden rows are the oldest finished ones: the line stands where they would be, above. */}
      {hidden > 0 && <Line width={width} segments={[{ text: `  … ${hidden} earlier`, dim: true }]} />}
      {rows.map((r) => (
        <Box key={r.id} flexDirection="column">
          <Line width={width} segments={rowSegments(r, now, pad)} />
          {logs && r.status === 'running' && r.log.slice(-LOG_TAIL).map((l, i) => <Line key={i} width={width} segments={[{ text: `    │ ${l}`, dim: true }]} />)}
          {r.status === 'failed' && failedTail > 0 && r.log.slice(-failedTail).map((l, i) => <Line key={i} width={width} segments={[{ text: '    │ ', color: 'red' }, { text: l }]} />)}
        </Box>
      ))}
      <Line width={width} segments={[{ text: `${progressBar(finished, progress.total, barWidth)} `, color: barColor }, { text: together ? counts : '' }]} />
      {countLines.map((l, i) => <Line key={`counts${i}`} width={width} segments={[{ text: l }]} />)}
      {end && outcomeLines.map((l, i) => <Line key={`outcome${i}`} width={width} segments={[{ text: l, bold: true, color: end.failed.length > 0 ? 'red' : 'green' }]} />)}
    </Box>
  );
}
