import { randomUUID } from 'node:crypto';
import { STATE_FORMAT_VERSION, type State } from './types.js';

/** A fresh, empty state with a new lineage (set once here, never changed by any write). */
export function newState(): State {
  return { formatVersion: STATE_FORMAT_VERSION, lineage: randomUUID(), serial: 0, resources: {}, history: [] };
}
