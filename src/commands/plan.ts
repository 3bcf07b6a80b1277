import { Flags } from '@oclif/core';
import { BaseCommand, isInteractive, loadInk, useColor } from '../cli/base-command.js';
import { configFlag, formatFlag, listFlag, noColorFlag, replaceFlag, targetFlag } from '../cli/flags.js';
import { writePlanFile } from '../plan/planfile.js';
import { createPlan } from '../services/plan.js';
import { createPlanProgress } from '../ui/plan-progress.js';
import { renderPlan, savedPlanText, type PlanFormat } from '../ui/render-plan.js';

/** `mirror plan`: show what apply would change. */
export default class Plan extends BaseCommand {
  static summary = 'Show what apply would build, merge, tag and attest.';
  static description = 'Diffs the desired state (last N upstream versions × platforms, floating tags) against the registry and the state file.';
  static examples = ['<%= config.bin %> plan', '<%= config.bin %> plan --format markdown > plan.md', '<%= config.bin %> plan --out plan.json --detailed-exitcode'];

  static flags = {
    config: configFlag,
    out: Flags.string({ description: 'save the plan to FILE for `mirror apply FILE`', env: 'MIRROR_OUT' }),
    json: Flags.boolean({ description: 'print the plan JSON on stdout and nothing else', env: 'MIRROR_JSON' }),
    format: formatFlag,
    'detailed-exitcode': Flags.boolean({ description: 'exit 0 without changes, 2 with changes, 1 on error', env: 'MIRROR_DETAILED_EXITCODE' }),
    target: targetFlag,
    replace: replaceFlag,
    'refresh-only': Flags.boolean({ description: 'report drift only, propose nothing', env: 'MIRROR_REFRESH_ONLY' }),
    'no-color': noColorFlag,
    preflight: Flags.boolean({ description: 'for every version to build: the source tag exists, the patches apply, requires/build-arg URLs answer (problems are ! rows; --detailed-exitcode exits 1)', env: 'MIRROR_PREFLIGHT' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Plan);
    const format = flags.json ? 'json' : (flags.format ?? 'text');
    // SPEC §3: a terminal without --json/--format gets the interactive view; pipes and CI get text.
    const interactive = !flags.json && !flags.format && isInteractive();
    // A progress line on a terminal's stderr (cleared before anything else prints), a line per app in CI.
    const reads = createPlanProgress(process.stderr, process.env);
    const { plan, stats, config } = await createPlan({
      cwd: process.cwd(), config: flags.config, targets: listFlag(flags.target), refreshOnly: flags['refresh-only'], replace: listFlag(flags.replace), env: process.env,
      notice: (m) => { reads.end(); process.stderr.write(`warning: ${m}\n`); }, progress: reads.progress,
    }).finally(() => reads.end());
    if (flags.preflight) plan.preflight = await (await import('../services/preflight.js')).preflight(config, plan);
    if (flags.out) {
      await writePlanFile(flags.out, plan);
      process.stderr.write(savedPlanText(flags.out, plan));
    }
    // Request counts for benchmarks and budgets (bench/plan reads this line).
    if (process.env.MIRROR_STATS === '1') process.stderr.write(`mirror-stats ${JSON.stringify(stats)}\n`);
    // Warnings are in the plan (apps[].warnings); with JSON on stdout, stderr repeats them for people reading CI logs.
    if (format === 'json') for (const app of plan.apps) for (const w of app.warnings ?? []) process.stderr.write(`warning: ${app.name}: ${w}\n`);
    // Nothing to browse when nothing changes: the one-line text answer says it all.
    if (interactive && (plan.actions.length > 0 || plan.drift.length > 0)) await (await loadInk(flags['no-color'])).browsePlan(plan);
    else process.stdout.write(await renderPlan(plan, format as PlanFormat, { color: useColor(flags['no-color']) }));
    const changes = plan.actions.length > 0 || (flags['refresh-only'] && plan.drift.length > 0);
    if (flags['detailed-exitcode'] && changes) process.exitCode = 2;
    // A build that preflight knows will fail is an error of the plan, not a change (SPEC §3).
    if (flags['detailed-exitcode'] && plan.preflight?.length) process.exitCode = 1;
  }
}
