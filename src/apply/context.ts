/** Everything the apply steps share. Built by the apply service; steps never see oclif. */
import type { AppSpec, ImageSpec, ResolvedConfig } from '../config/model.js';
import { BugError } from '../errors.js';
import type { Plan, PlanApp } from '../plan/types.js';
import type { Builder } from '../providers/builder/types.js';
import type { RegistryBackend } from '../providers/registry/types.js';
import type { StateRecorder } from './recorder.js';
import type { SourceCache } from './source.js';

/** Shared apply context. */
export interface ApplyContext {
  config: ResolvedConfig;
  plan: Plan;
  registry: RegistryBackend;
  recorder: StateRecorder;
  sources: SourceCache;
  /** Builder per app (apps may choose different builders). */
  builder(app: AppSpec): Promise<Builder>;
  /** Log lines of an action (build output). */
  log(actionId: string, line: string): void;
  /** Who runs this (user@host or CI run URL). */
  who: string;
  signal?: AbortSignal;
}

/** The config and plan entries an action refers to. */
export function specsOf(ctx: ApplyContext, appName: string, imageName: string): { app: AppSpec; image: ImageSpec; planApp: PlanApp } {
  const app = ctx.config.apps.find((a) => a.name === appName);
  const image = app?.images.find((i) => i.name === imageName);
  const planApp = ctx.plan.apps.find((a) => a.name === appName);
  if (!app || !image || !planApp) throw new BugError(`plan action refers to ${appName}/${imageName}, which the config or plan lacks`);
  return { app, image, planApp };
}
