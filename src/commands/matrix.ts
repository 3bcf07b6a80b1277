import { appendFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { configFlag } from '../cli/flags.js';
import { loadConfig } from '../config/load.js';
import { DEFAULT_RUNNERS } from '../config/model.js';
import { buildMatrix } from '../plan/matrix.js';
import { readPlanFile } from '../plan/planfile.js';

/** `mirror matrix PLANFILE`: the plan's builds as a GitHub Actions matrix (native runners). */
export default class Matrix extends BaseCommand {
  static summary = 'Print the GitHub Actions build matrix of a saved plan: {"include":[{app, image, version, platform, arch, runner, address}]}.';
  static description = 'Also writes matrix=… and has-builds=true|false to $GITHUB_OUTPUT when set. Each entry is built with: mirror apply PLANFILE --only build --target ADDRESS --fragment-out FILE';
  static args = { planfile: Args.string({ description: 'a plan saved with `mirror plan --out`', required: true }) };
  static flags = {
    config: configFlag,
    'use-qemu': Flags.boolean({ description: 'run every platform on the linux/amd64 runner through QEMU (the old USE_QEMU)', env: 'MIRROR_USE_QEMU' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Matrix);
    const [plan, config] = await Promise.all([readPlanFile(args.planfile), loadConfig({ cwd: process.cwd(), config: flags.config })]);
    const matrix = buildMatrix(plan, { runners: config.runners ?? DEFAULT_RUNNERS, useQemu: flags['use-qemu'] });
    const json = JSON.stringify(matrix);
    process.stdout.write(`${json}\n`);
    if (process.env.GITHUB_OUTPUT) await appendFile(process.env.GITHUB_OUTPUT, `matrix=${json}\nhas-builds=${matrix.include.length > 0}\n`);
  }
}
