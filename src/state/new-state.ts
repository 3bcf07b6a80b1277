import { randomUUID } from 'node:crypto';
import type { State } from './types.js';

/** A fresh, empty state with a new lineage (set once here, never changed by any write). */
export function newState(): State {
  return { formatVersion: 1, lineage: randomUUID(), serial: 0, resources: {}, history: [] };
}
