import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, jsonFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { readState, selectAddresses } from '../../services/state.js';

/** `mirror state list [ADDR]`: one address per line (Terraform's state list). */
export default class StateList extends BaseCommand {
  static summary = 'List the addresses in the state.';
  static examples = ['<%= config.bin %> state list', '<%= config.bin %> state list outline'];
  static args = { filter: Args.string({ description: 'only addresses of this app, image, version or address prefix' }) };
  static flags = { config: configFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StateList);
    const addresses = selectAddresses(await readState(stateOptions(flags)), args.filter);
    process.stdout.write(flags.json ? `${JSON.stringify(addresses, null, 2)}\n` : addresses.map((a) => `${a}\n`).join(''));
  }
}
