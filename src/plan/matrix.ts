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
  /** Most jobs one matrix may have (GitHub Actions: 256); default MAX_MATRIX_JOBS. */
  maxJobs?: number;
}

/** GitHub Actions refuses a matrix that expands to more than 256 jobs. */
export const MAX_MATRIX_JOBS = 256;

/**
 * More entries than one matrix may hold: put several on one job, same runner only, so the job count
 * fits. A job then builds its addresses one after another (`--target` takes a comma-separated
 * list); app, image and version list the distinct values, for the job's name.
 */
export function packEntries(entries: MatrixEntry[], maxJobs: number): MatrixEntry[] {
  if (entries.length <= maxJobs) return entries;
  const byRunner = new Map<string, MatrixEntry[]>();
  for (const e of entries) byRunner.set(e.runner, [...(byRunner.get(e.runner) ?? []), e]);
  // Each runner's last job may be short: leave one job of room per runner so the total fits.
  const per = Math.ceil(entries.length / Math.max(1, maxJobs - byRunner.size));
  const distinct = (list: MatrixEntry[], key: 'app' | 'image' | 'version' | 'platform' | 'arch') => [...new Set(list.flatMap((e) => e[key].split(',')))].join(',');
  const jobs: MatrixEntry[] = [];
  for (const list of byRunner.values()) {
    for (let i = 0; i < list.length; i += per) {
      const chunk = list.slice(i, i + per);
      jobs.push({
        app: distinct(chunk, 'app'), image: distinct(chunk, 'image'), version: distinct(chunk, 'version'),
        platform: distinct(chunk, 'platform'), arch: distinct(chunk, 'arch'), runner: chunk[0].runner, address: chunk.map((e) => e.address).join(','),
      });
    }
  }
  return jobs;
}

/** `{ include: [...] }` for `strategy.matrix`. */
export function buildMatrix(plan: Plan, opts: MatrixOptions): { include: MatrixEntry[] } {
  const entries = new Map<string, MatrixEntry>();
  for (const action of plan.actions) {
    if (action.type !== 'build') continue;
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
  return { include: packEntries([...entries.values()], opts.maxJobs ?? MAX_MATRIX_JOBS) };
}
