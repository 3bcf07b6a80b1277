import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, lockTimeoutFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { pushState } from '../../services/state.js';

/** `mirror state push FILE`: replace the state (Terraform's state push, same safety rules). */
export default class StatePush extends BaseCommand {
  static summary = 'Replace the state with FILE; refuses another lineage or an older serial unless --force. A backup is kept.';
  static args = { file: Args.string({ description: 'a state JSON file (e.g. from `mirror state pull`)', required: true }) };
  static flags = {
    config: configFlag,
    force: Flags.boolean({ description: 'replace even when the lineage differs or the serial is older' }),
    'lock-timeout': lockTimeoutFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StatePush);
    const state = await pushState(stateOptions(flags), args.file, flags.force);
    process.stdout.write(`Pushed ${args.file}: state lineage ${state.lineage}, serial ${state.serial}.\n`);
  }
}
