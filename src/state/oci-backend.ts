/** Placeholder until the OCI artifact backend lands: refuse clearly instead of writing elsewhere. */
import type { ResolvedConfig } from '../config/model.js';
import { AbortError } from '../errors.js';
import type { StateBackend } from './backend.js';

export async function openOciBackend(config: ResolvedConfig, _opts: { env?: NodeJS.ProcessEnv; baseDir: string }): Promise<StateBackend> {
  throw new AbortError(`state.backend 'oci' (${config.state.ref}) is not available in this build.`, "Use state: { path: '.mirror/state.json' }.");
}
