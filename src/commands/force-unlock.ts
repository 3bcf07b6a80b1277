import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { configFlag } from '../cli/flags.js';
import { loadConfig } from '../config/load.js';
import { openStateBackend } from '../state/backend.js';

/** `mirror force-unlock LOCK_ID`: release a lock whose holder cannot (Terraform's force-unlock). */
export default class ForceUnlock extends BaseCommand {
  static summary = 'Release the state lock with this ID.';
  static args = { id: Args.string({ description: 'lock ID, as printed by the command that found it locked', required: true }) };
  static flags = { config: configFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ForceUnlock);
    const config = await loadConfig({ cwd: process.cwd(), config: flags.config });
    const backend = await openStateBackend(config);
    try {
      await backend.locker.forceUnlock(args.id);
    } finally {
      await backend.close();
    }
    process.stdout.write(`Released lock ${args.id} on ${backend.store.location}.\n`);
  }
}
