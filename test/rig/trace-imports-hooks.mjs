// Module hooks of trace-imports.mjs (they run on Node's loader thread, hence a file, not a message).
import { appendFileSync } from 'node:fs';

let file;

/** Receives the trace file from register(). */
export function initialize(data) {
  file = data?.file;
}

/** Resolve as usual, then record the result. */
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (file) appendFileSync(file, `${result.url}\n`);
  return result;
}
