/**
 * What is wrong with text that JSON.parse refused, without quoting it: Node's message carries the
 * text itself (`Unexpected token 'g', "{"token": gh…" is not valid JSON`), and a state, plan or
 * fragment file may hold anything, a pasted secret included. Errors go to CI logs.
 */
export function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/end of (JSON )?input|Unterminated string/i.test(message)) return 'ends early: truncated?';
  const at = /at position (\d+)/.exec(message);
  return at ? `unexpected text at character ${at[1]}` : 'unexpected text';
}
