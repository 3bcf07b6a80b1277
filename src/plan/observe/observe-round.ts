/**
 * What each later round of the plan's observation gets: observe's own maps, filled in place.
 * Rounds start every registry read at once; the registry client's connection pool
 * (REGISTRY_CONNECTIONS) is the one queue they wait in.
 */
import type { AppSpec } from '../../config/model.js';
import type { ObservedRepository } from '../observed.js';
import type { RegistryBackend } from '../../providers/registry/types.js';
import type { WindowVersion } from '../../providers/upstream/types.js';
import type { State } from '../../state/types.js';

/** Inputs of an observation round. */
export interface ObservationRound {
  apps: AppSpec[];
  state: State;
  registry: RegistryBackend;
  windows: Map<string, WindowVersion[]>;
  repos: Map<string, ObservedRepository>;
}
