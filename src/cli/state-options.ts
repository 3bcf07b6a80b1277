/** The one place state commands turn their flags into the services' StateOptions. */
import type { StateOptions } from '../services/state.js';
import { parseDuration } from '../system/duration.js';

/** Working directory, `--config`, the environment, and `--lock-timeout` for commands that take the lock. */
export function stateOptions(flags: { config?: string; 'lock-timeout'?: string }): StateOptions {
  const lockTimeout = flags['lock-timeout'];
  return { cwd: process.cwd(), config: flags.config, env: process.env, ...(lockTimeout === undefined ? {} : { lockTimeoutMs: parseDuration(lockTimeout) }) };
}
