/** Plain-text tables for the audit views (`state show`, `verify`). */

/** Rows as lines of columns padded to their widest cell, two spaces apart; the last column is not padded, so lines end clean. */
export function columns(rows: string[][], indent = ''): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}`);
}
