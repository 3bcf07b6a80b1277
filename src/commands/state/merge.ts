import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, lockTimeoutFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { Flags } from '@oclif/core';
import { AbortError } from '../../errors.js';
import { readPlanFile } from '../../plan/planfile.js';
import { mergeFragments } from '../../services/state.js';

/** `mirror state merge FILE…`: fold fragments written by parallel build runners into the state. */
export default class StateMerge extends BaseCommand {
  static summary = 'Fold state fragments from parallel runners into the state; conflicting digests are refused.';
  static strict = false;
  static usage = 'state merge FILE...';
  static flags = {
    config: configFlag, 'lock-timeout': lockTimeoutFlag,
    plan: Flags.string({ description: 'the saved plan the build jobs applied: refuse fragments of another plan or with builds it does not have', env: 'MIRROR_PLAN' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(StateMerge);
    const files = argv as string[];
    if (files.length === 0) throw new AbortError('state merge needs at least one fragment file.');
    const plan = flags.plan ? await readPlanFile(flags.plan) : undefined;
    const { state, added } = await mergeFragments(stateOptions(flags), files, plan);
    process.stdout.write(`Merged ${files.length} fragment(s): ${added.length} new resource(s), state serial ${state.serial}.\n`);
  }
}
