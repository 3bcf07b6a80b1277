import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { configFlag } from '../cli/flags.js';
import { stateOptions } from '../cli/state-options.js';
import { withState } from '../services/state.js';

/** `mirror force-unlock LOCK_ID`: release a lock whose holder cannot (Terraform's force-unlock). */
export default class ForceUnlock extends BaseCommand {
  static summary = 'Release the state lock with this ID.';
  // Keyed lock_id so usage reads `mirror force-unlock LOCK_ID`, as SPEC §3 names it.
  static args = { lock_id: Args.string({ description: 'lock ID, as printed by the command that found it locked', required: true }) };
  static flags = { config: configFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ForceUnlock);
    const location = await withState(stateOptions(flags), async (_config, { store, locker }) => {
      await locker.forceUnlock(args.lock_id);
      return store.location;
    });
    process.stdout.write(`Released lock ${args.lock_id} on ${location}.\n`);
  }
}
