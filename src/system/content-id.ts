/** Content identity of a JSON value, for files every runner of a CI matrix reads alike. */
import { createHash } from 'node:crypto';

/** `sha256:<hex>` of the value's JSON text: equal content, equal id. */
export function contentId(value: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex')}`;
}
