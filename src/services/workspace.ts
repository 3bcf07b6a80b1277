/**
 * One way in for every service (Shopify CLI's linkedAppContext): the config of the working
 * directory, its state backend, clients of its registry and the access other tools get to that
 * registry, set up here once instead of again in each service. The state backend opens on first
 * use, so a service that fails its own checks first (a bad --target) never touches the state.
 */
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/model.js';
import { createRegistryBackend, registryAccess, type RegistryAccess } from '../providers/registry/index.js';
import type { RegistryBackend } from '../providers/registry/types.js';
import { openStateBackend, type StateBackend } from '../state/backend.js';
import type { State } from '../state/types.js';

/** Where a service finds its config (and with it the state and the registry). */
export interface WorkspaceOptions {
  cwd: string;
  /** `--config FILE`; default: mirror.config.ts found from cwd. */
  config?: string;
  env?: NodeJS.ProcessEnv;
}

/** The config, state backend and registry of one run. */
export interface Workspace {
  readonly config: ResolvedConfig;
  readonly env?: NodeJS.ProcessEnv;
  /** Insecure host and credentials of registry.url for buildah and trivy. */
  readonly access: RegistryAccess;
  /** The state backend the config names: opened on the first call, closed by close(). */
  state(): Promise<StateBackend>;
  /** The stored state (undefined: none yet), through state(). */
  readState(): Promise<State | undefined>;
  /**
   * A new client of registry.url (`oci:` paths resolved from the config's directory). The caller
   * closes it: each counts its own requests (apply reports its steps' apart from its plan's).
   */
  openRegistry(): RegistryBackend;
  /** Close the state backend, if it was opened (registry clients are closed by whoever opened them). */
  close(): Promise<void>;
}

/** Load the config of `opts.cwd`; the rest opens on demand. */
export async function openWorkspace(opts: WorkspaceOptions): Promise<Workspace> {
  const config = await loadConfig({ cwd: opts.cwd, config: opts.config, env: opts.env });
  const { env } = opts;
  let backend: Promise<StateBackend> | undefined;
  const state = () => (backend ??= openStateBackend(config, { env }));
  return {
    config,
    env,
    access: registryAccess(config.registry),
    state,
    readState: async () => (await state()).store.read(),
    openRegistry: () => createRegistryBackend(config.registry, { env, baseDir: path.dirname(config.file) }),
    close: async () => {
      // A backend that failed to open has nothing to close; its error went to whoever awaited it.
      const opened = await backend?.catch(() => undefined);
      await opened?.close();
    },
  };
}

/** Run `fn` in the workspace of `opts`, closing it after (also when `fn` throws). */
export async function withWorkspace<T>(opts: WorkspaceOptions, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await openWorkspace(opts);
  try {
    return await fn(ws);
  } finally {
    await ws.close();
  }
}
