import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, jsonFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { AbortError } from '../../errors.js';
import { readStoredState, selectAddresses } from '../../services/state.js';
import { renderStateShow } from '../../ui/state-text.js';

/** `mirror state show [ADDR]`: what the state records, for audits. */
export default class StateShow extends BaseCommand {
  static summary = 'Show recorded resources: digests, platforms, tags, upstream tag and commit, builder, times.';
  static args = { address: Args.string({ description: 'an address or prefix (default: everything)' }) };
  static flags = { config: configFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StateShow);
    const { state, location } = await readStoredState(stateOptions(flags));
    // No state yet: say so (JSON null), rather than show an empty state with a made-up lineage.
    if (!state) {
      if (args.address) throw new AbortError(`No resource in the state matches ${args.address}: there is no state yet at ${location}.`, 'Run `mirror apply` first.');
      process.stdout.write(flags.json ? 'null\n' : `No state yet at ${location}. \`mirror apply\` creates it.\n`);
      return;
    }
    const addresses = selectAddresses(state, args.address);
    if (args.address && addresses.length === 0) throw new AbortError(`No resource in the state matches ${args.address}.`, 'See `mirror state list`.');
    if (flags.json) {
      const resources = Object.fromEntries(addresses.map((a) => [a, state.resources[a]]));
      process.stdout.write(`${JSON.stringify({ lineage: state.lineage, serial: state.serial, resources }, null, 2)}\n`);
    } else {
      process.stdout.write(renderStateShow(state, addresses));
    }
  }
}
