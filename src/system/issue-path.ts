/** How a zod issue's path is printed in errors about files mirror reads. */

/** `apps.alpha.upstream.repository`; each segment capped, since keys come from the file and may be huge. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => { const s = String(p); return s.length > 60 ? `${s.slice(0, 60)}…` : s; }).join('.') || '(root)';
}
