/**
 * What an opened state backend hands back, in its own file so the backends (backend.ts opens the
 * file one, oci-backend.ts the oci one) share it without importing each other.
 */
import type { Locker, StateStore } from './types.js';

/** A store, its locker, and what to release afterwards. */
export interface StateBackend {
  store: StateStore;
  locker: Locker;
  close(): Promise<void>;
}
