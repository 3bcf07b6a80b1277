/**
 * Enough of GitHub Actions' expression language to evaluate the `${{ … }}` in this project's
 * workflows for a given event: property paths, string/number/boolean literals, `!`, `==`, `!=`,
 * `&&`, `||` (which return an operand, as GitHub's do), parentheses, `format()` and the status
 * functions (`always()`, `success()`: a run where nothing failed). Follows
 * https://docs.github.com/en/actions/reference/workflows-and-actions/expressions; anything else
 * throws, so a workflow using more fails the test instead of being evaluated wrongly.
 */

type Value = string | number | boolean | null | undefined | Record<string, unknown>;

const truthy = (v: Value) => !(v === '' || v === false || v === 0 || v === null || v === undefined);
/** How GitHub turns a value into the text of a `${{ }}` in a string. */
const text = (v: Value) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Evaluate one expression (the inside of `${{ }}`). */
export function evaluate(expression: string, context: Record<string, unknown>): Value {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[!(),]|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (expected !== undefined && t !== expected) throw new Error(`expected ${expected} in "${expression}", got ${t}`);
    return t;
  };
  const primary = (): Value => {
    const t = take();
    if (t === undefined) throw new Error(`unexpected end of "${expression}"`);
    if (t === '(') { const v = or(); take(')'); return v; }
    if (t === '!') return !truthy(primary());
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^\d/.test(t)) return Number(t);
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === 'null') return null;
    if (t === 'format' && peek() === '(') {
      take('(');
      const args: Value[] = [or()];
      while (peek() === ',') { take(','); args.push(or()); }
      take(')');
      return String(args[0]).replace(/\{(\d+)\}/g, (_, n: string) => text(args[Number(n) + 1]));
    }
    // Job status functions: the test evaluates a run where nothing failed or was cancelled.
    if (['always', 'success', 'failure', 'cancelled'].includes(t) && peek() === '(') {
      take('(');
      take(')');
      return t === 'always' || t === 'success';
    }
    if (/^[A-Za-z_]/.test(t)) {
      let v: unknown = context;
      for (const part of t.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
      return v as Value;
    }
    throw new Error(`unsupported token ${t} in "${expression}"`);
  };
  const compare = (): Value => {
    const left = primary();
    if (peek() === '==' || peek() === '!=') {
      const op = take();
      const right = primary();
      const eq = typeof left === 'string' && typeof right === 'string' ? left.toLowerCase() === right.toLowerCase() : left === right;
      return op === '==' ? eq : !eq;
    }
    return left;
  };
  const and = (): Value => {
    let v = compare();
    while (peek() === '&&') { take(); const r = compare(); v = truthy(v) ? r : v; }
    return v;
  };
  function or(): Value {
    let v = and();
    while (peek() === '||') { take(); const r = and(); v = truthy(v) ? v : r; }
    return v;
  }
  const result = or();
  if (i !== tokens.length) throw new Error(`unparsed rest of "${expression}": ${tokens.slice(i).join(' ')}`);
  return result;
}

/** A workflow string with every `${{ }}` replaced by its value. */
export function interpolate(value: string, context: Record<string, unknown>): string {
  return value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => text(evaluate(e, context)));
}
