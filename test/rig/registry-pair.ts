/**
 * The two real registries a test file of the OCI state backend needs: one open, one with htpasswd
 * auth (credentials from the docker config or the env must reach it). Started before the file's
 * tests, stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { startRegistry, type TestRegistry } from './registry.js';

/** Filled in by beforeAll. */
export interface RegistryPair {
  open: TestRegistry;
  auth: TestRegistry;
}

/** Start the pair for the tests of the calling file (call at module level). */
export function useRegistryPair(auth: { username: string; password: string }): RegistryPair {
  const pair = {} as RegistryPair;
  beforeAll(async () => { [pair.open, pair.auth] = await Promise.all([startRegistry(), startRegistry({ auth })]); });
  afterAll(async () => { await Promise.all([pair.open?.stop(), pair.auth?.stop()]); });
  return pair;
}
