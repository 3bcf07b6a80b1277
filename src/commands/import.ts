import { Args } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { configFlag, lockTimeoutFlag } from '../cli/flags.js';
import { stateOptions } from '../cli/state-options.js';
import { importAddress } from '../services/import.js';

/** `mirror import ADDR`: adopt what the registry already holds (Terraform's import). */
export default class Import extends BaseCommand {
  static summary = 'Record in the state what the registry already holds: an index and its platforms, a floating tag, or a whole app (window versions and floating tags); never over a recorded address.';
  static examples = ['<%= config.bin %> import mattermost@10.3.1', '<%= config.bin %> import mattermost:latest', '<%= config.bin %> import outline'];
  static args = { address: Args.string({ description: 'APP, APP@VERSION, APP/IMAGE@VERSION or APP:TAG', required: true }) };
  static flags = { config: configFlag, 'lock-timeout': lockTimeoutFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Import);
    const { imported, skipped } = await importAddress(stateOptions(flags), args.address);
    process.stdout.write(`${imported.map((a) => `Imported ${a}\n`).join('')}${skipped.map((s) => `Skipped ${s.address}: ${s.why}\n`).join('')}`);
  }
}
