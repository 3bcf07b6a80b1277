import { Args } from '@oclif/core';
import { BaseCommand, useColor } from '../cli/base-command.js';
import { formatFlag, jsonFlag, noColorFlag } from '../cli/flags.js';
import { readPlanFile } from '../plan/planfile.js';
import { renderPlan, type PlanFormat } from '../ui/render-plan.js';

/** `mirror show PLANFILE`: render a saved plan (Terraform's show), for review before `apply PLANFILE`. */
export default class Show extends BaseCommand {
  static summary = 'Render a saved plan as text, markdown or JSON.';
  static args = { planfile: Args.string({ description: 'a plan saved with `mirror plan --out`', required: true }) };
  static flags = {
    json: jsonFlag,
    format: formatFlag,
    'no-color': noColorFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Show);
    const plan = await readPlanFile(args.planfile);
    const format = flags.json ? 'json' : (flags.format ?? 'text');
    const made = format === 'text'
      ? `Saved plan ${args.planfile}: made ${plan.createdAt} against state serial ${plan.state.serial}${plan.state.lineage ? ` (lineage ${plan.state.lineage})` : ' (no state yet)'}, config ${plan.configHash.slice(0, 19)}…\n\n`
      : '';
    process.stdout.write(made + await renderPlan(plan, format as PlanFormat, { color: useColor(flags['no-color']) }));
  }
}
