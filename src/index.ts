/** Public API of the `mirror` package: config typing for `mirror.config.ts`. */
import type { MirrorConfig } from './config/schema.js';

export type { MirrorConfig } from './config/schema.js';

/** Identity function that gives `mirror.config.ts` type checking and completion. */
export function defineConfig(config: MirrorConfig): MirrorConfig {
  return config;
}
