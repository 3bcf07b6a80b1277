/**
 * Rows as coloured segments cut to the terminal width: a row that wrapped would push the frame
 * past the screen and make Ink redraw everything (flicker), so every row is exactly one line.
 */
import { Text } from 'ink';
import { forTerminal } from '../charset.js';

/** A run of text with one style. */
export interface Segment {
  text: string;
  color?: string;
  dim?: boolean;
  bold?: boolean;
}

/** Cut segments to `width` columns, ending with `…` when something was cut. */
export function fitSegments(segments: Segment[], width: number): Segment[] {
  const out: Segment[] = [];
  let left = Math.max(0, width);
  for (const seg of segments) {
    const chars = [...seg.text];
    if (chars.length <= left) { out.push(seg); left -= chars.length; continue; }
    if (left > 0) out.push({ ...seg, text: `${chars.slice(0, left - 1).join('')}…` });
    break;
  }
  return out;
}

/**
 * Word-wrap `text` to `width` columns: for the lines that must be read whole (the plan's summary,
 * the apply counts and outcome), where a cut would hide numbers. A word longer than the width is
 * split. The views count these lines in their height budget.
 */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    while ([...rest].length > w) {
      if (line) { lines.push(line); line = ''; }
      lines.push([...rest].slice(0, w).join(''));
      rest = [...rest].slice(w).join('');
    }
    if (!line) line = rest;
    else if ([...line].length + 1 + [...rest].length <= w) line = `${line} ${rest}`;
    else { lines.push(line); line = rest; }
  }
  lines.push(line);
  return lines;
}

/** One line of segments, optionally highlighted (the cursor row). */
export function Line({ segments, width, inverse = false }: { segments: Segment[]; width: number; inverse?: boolean }) {
  // Not UTF-8 (LANG=C…): ASCII before fitting (the ⏎ name is longer) and after (the cut's …).
  const ascii = (segs: Segment[]) => segs.map((seg) => ({ ...seg, text: forTerminal(seg.text) }));
  const fitted = ascii(fitSegments(ascii(segments), width));
  return (
    <Text wrap="truncate-end" inverse={inverse}>
      {fitted.map((s, i) => <Text key={i} color={s.color} dimColor={s.dim} bold={s.bold}>{s.text}</Text>)}
    </Text>
  );
}
