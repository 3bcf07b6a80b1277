/**
 * `state: { backend: 'oci', ref: 'REGISTRY/REPO:TAG' }`: the state and its lock as artifacts in
 * a registry, for CI runners that share no disk. One registry client serves the store and the
 * locker; close() stops lease renewals and releases its sockets.
 */
import type { ResolvedConfig } from '../config/model.js';
import { BugError } from '../errors.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import type { StateBackend } from './state-backend.js';
import { parseStateRef, type OciTarget } from './oci-artifact.js';
import { OciLocker, type OciLockerOptions } from './oci-lock.js';
import { OciStateStore } from './oci-store.js';

/** Options of the oci backend: where `env:`/docker config come from, and lock timings (tests). */
export interface OciBackendOptions {
  env?: NodeJS.ProcessEnv;
  baseDir: string;
  lock?: Omit<OciLockerOptions, 'env'>;
  /** Registry client retries (tests lower the backoff). */
  retryBaseMs?: number;
}

/** Open the store and locker of `config.state.ref`. */
export async function openOciBackend(config: Pick<ResolvedConfig, 'registry' | 'state'>, opts: OciBackendOptions): Promise<StateBackend & { store: OciStateStore; locker: OciLocker }> {
  const ref = config.state.ref;
  if (!ref) throw new BugError("state.backend 'oci' without state.ref passed validation");
  const { settings, image, tag } = parseStateRef(ref, config.registry);
  const registry = createRegistryBackend(settings, { env: opts.env, baseDir: opts.baseDir, retryBaseMs: opts.retryBaseMs });
  const target: OciTarget = { registry, image, tag, location: ref };
  const locker = new OciLocker(target, { ...opts.lock, env: opts.env });
  return {
    store: new OciStateStore(target),
    locker,
    close: async () => {
      locker.stop();
      await registry.close();
    },
  };
}
