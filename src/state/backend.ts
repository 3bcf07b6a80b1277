/**
 * Where the state of a config lives: the one seam every command goes through, so the file and
 * the oci backends are interchangeable (Terraform's backend block).
 */
import path from 'node:path';
import type { ResolvedConfig } from '../config/model.js';
import { FileStateStore } from './file-store.js';
import { FileLocker } from './lock.js';
import type { StateBackend } from './state-backend.js';

export type { StateBackend } from './state-backend.js';

/** Options for opening a backend. */
export interface OpenBackendOptions {
  env?: NodeJS.ProcessEnv;
}

/** Open the backend the config names. */
export async function openStateBackend(config: ResolvedConfig, opts: OpenBackendOptions = {}): Promise<StateBackend> {
  if (config.state.backend === 'oci') {
    const { openOciBackend } = await import('./oci-backend.js');
    return openOciBackend(config, { env: opts.env, baseDir: path.dirname(config.file) });
  }
  return { store: new FileStateStore(config.state.path), locker: new FileLocker(config.state.path), close: async () => undefined };
}
