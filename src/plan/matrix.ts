/**
 * The plan's builds as a GitHub Actions matrix. One entry per app × version × platform: a runner
 * builds every image of that app version for its platform, in dependsOn order (Outline's base,
 * then the app FROM it), so image dependencies never cross jobs and no extra matrix stage is
 * needed. Pure: plan and runner map in, matrix out.
 */
import { AbortError } from '../errors.js';
import type { Plan } from './types.js';

/** One matrix job. */
export interface MatrixEntry {
  app: string;
  /** Images built by this job, in build order, comma-separated (`base-outline,outline`). */
  image: string;
  version: string;
  platform: string;
  arch: string;
  runner: string;
  /** `--target` for the job's `mirror apply PLANFILE --only build`. */
  address: string;
}

/** Matrix options. */
export interface MatrixOptions {
  runners: Record<string, string>;
  /** Build every platform on the amd64 runner under QEMU (the old pipeline's USE_QEMU). */
  useQemu?: boolean;
}

/** `{ include: [...] }` for `strategy.matrix`. */
export function buildMatrix(plan: Plan, opts: MatrixOptions): { include: MatrixEntry[] } {
  const entries = new Map<string, MatrixEntry>();
  for (const action of plan.actions) {
    if (action.type !== 'build' || !action.version || !action.platform) continue;
    const address = `${action.app}@${action.version}/${action.platform}`;
    const existing = entries.get(address);
    if (existing) {
      existing.image = `${existing.image},${action.image}`; // plan order follows dependsOn: bases first
      continue;
    }
    const runnerPlatform = opts.useQemu ? 'linux/amd64' : action.platform;
    const runner = opts.runners[runnerPlatform];
    if (!runner) {
      throw new AbortError(`No runner for ${runnerPlatform} (needed by ${address}).`, `Add it to the config: runners: { '${runnerPlatform}': 'RUNNER-LABEL' }`);
    }
    entries.set(address, {
      app: action.app, image: action.image, version: action.version, platform: action.platform,
      arch: action.platform.split('/').slice(1).join('-'), runner, address,
    });
  }
  return { include: [...entries.values()] };
}
