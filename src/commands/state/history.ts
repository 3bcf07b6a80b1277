import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, jsonFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { readState, selectHistory } from '../../services/state.js';
import { renderHistory } from '../../ui/state-text.js';

/** `mirror state history [ADDR]`: the append-only audit trail. */
export default class StateHistory extends BaseCommand {
  static summary = 'Show the history of changes: when, what, old → new digest, who, from which upstream tag.';
  static args = { address: Args.string({ description: 'only events of this address or prefix' }) };
  static flags = { config: configFlag, json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StateHistory);
    const events = selectHistory(await readState(stateOptions(flags)), args.address);
    process.stdout.write(flags.json ? `${JSON.stringify(events, null, 2)}\n` : renderHistory(events));
  }
}
