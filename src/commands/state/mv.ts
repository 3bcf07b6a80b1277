import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, lockTimeoutFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { moveResource } from '../../services/state.js';

/** `mirror state mv FROM TO`: rename an address within its repository (an index moves with its platform builds). */
export default class StateMv extends BaseCommand {
  static summary = 'Rename an address in the state; a backup is kept.';
  static args = {
    from: Args.string({ description: 'current address', required: true }),
    to: Args.string({ description: 'new address', required: true }),
  };
  static flags = { config: configFlag, 'lock-timeout': lockTimeoutFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StateMv);
    await moveResource(stateOptions(flags), args.from, args.to);
    process.stdout.write(`Moved ${args.from} to ${args.to}.\n`);
  }
}
