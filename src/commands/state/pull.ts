import { BaseCommand } from '../../cli/base-command.js';
import { configFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { AbortError } from '../../errors.js';
import { withState } from '../../services/state.js';

/** `mirror state pull`: the state as stored, on stdout (for backups and `state push`). */
export default class StatePull extends BaseCommand {
  static summary = 'Print the state JSON on stdout.';
  static flags = { config: configFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(StatePull);
    const state = await withState(stateOptions(flags), async (_c, { store }) => {
      const s = await store.read();
      if (!s) throw new AbortError(`There is no state yet at ${store.location}.`, 'Run `mirror apply` first.');
      return s;
    });
    process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
  }
}
