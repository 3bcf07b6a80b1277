/**
 * A small structural reader of the markdown mirror writes (headings, callouts, pipe tables,
 * `<details>` blocks), so tests assert on structure rather than on bytes.
 */

/** A pipe table: header cells and row cells (escaped pipes kept as `|`). */
export interface Table {
  header: string[];
  rows: string[][];
}

/** One top-level block, in document order. */
export type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'callout'; lines: string[] }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; table: Table }
  | { kind: 'details'; summary: string; open: boolean; blocks: Block[] };

const cells = (line: string) => line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));

/** Parse markdown into blocks; throws on an unclosed `<details>` or a table without its separator row. */
export function parseMarkdown(md: string): Block[] {
  const lines = md.split('\n');
  let i = 0;
  const parse = (until?: RegExp): Block[] => {
    const blocks: Block[] = [];
    while (i < lines.length) {
      const line = lines[i];
      if (until?.test(line)) { i += 1; return blocks; }
      if (line.trim() === '') { i += 1; continue; }
      const heading = /^(#{1,6}) (.*)$/.exec(line);
      const details = /^<details( open)?><summary>(.*)<\/summary>$/.exec(line);
      if (heading) { blocks.push({ kind: 'heading', level: heading[1].length, text: heading[2] }); i += 1; }
      else if (details) {
        i += 1;
        blocks.push({ kind: 'details', open: Boolean(details[1]), summary: details[2].replace(/<[^>]+>/g, ''), blocks: parse(/^<\/details>$/) });
      } else if (line.startsWith('>')) {
        const out: string[] = [];
        while (i < lines.length && lines[i].startsWith('>')) out.push(lines[i++].replace(/^> ?/, ''));
        blocks.push({ kind: 'callout', lines: out });
      } else if (line.startsWith('|')) {
        const header = cells(lines[i++]);
        if (!/^\|(\s*:?-+:?\s*\|)+$/.test(lines[i] ?? '')) throw new Error(`table without a separator row at line ${i + 1}`);
        i += 1;
        const rows: string[][] = [];
        while (i < lines.length && lines[i].startsWith('|')) rows.push(cells(lines[i++]));
        blocks.push({ kind: 'table', table: { header, rows } });
      } else if (line.startsWith('- ')) {
        const items: string[] = [];
        while (i < lines.length && lines[i].startsWith('- ')) items.push(lines[i++].slice(2));
        blocks.push({ kind: 'list', items });
      } else { blocks.push({ kind: 'paragraph', text: line }); i += 1; }
    }
    if (until) throw new Error(`unclosed block: expected ${until} before the end`);
    return blocks;
  };
  return parse();
}
