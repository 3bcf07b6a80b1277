/** Identity of a saved plan, as its history events and its build fragments carry it. */
import { contentId } from '../system/content-id.js';
import type { Plan } from './types.js';

/** Identity of a saved plan: the hash of its content (every runner reads the same file). */
export function planId(plan: Plan): string {
  return contentId(plan);
}
