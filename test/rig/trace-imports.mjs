// Preload for `node --import`: records the URL of every module the process resolves (ESM imports,
// including CommonJS packages reached through import) into $MIRROR_TRACE_FILE, one per line.
// The start-up tests use it to prove which paths load Ink and React.
import { register } from 'node:module';

register(new URL('./trace-imports-hooks.mjs', import.meta.url), { data: { file: process.env.MIRROR_TRACE_FILE } });
