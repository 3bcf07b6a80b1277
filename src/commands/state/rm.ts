import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, lockTimeoutFlag } from '../../cli/flags.js';
import { stateOptions } from '../../cli/state-options.js';
import { AbortError } from '../../errors.js';
import { removeResources } from '../../services/state.js';

/** `mirror state rm ADDR…`: forget resources; the registry is not touched (Terraform's state rm). */
export default class StateRm extends BaseCommand {
  static summary = 'Forget resources in the state (the registry is not changed); a backup is kept.';
  static strict = false;
  static usage = 'state rm ADDR...';
  static flags = { config: configFlag, 'lock-timeout': lockTimeoutFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(StateRm);
    const targets = argv as string[];
    if (targets.length === 0) throw new AbortError('state rm needs at least one address.', 'See `mirror state list`.');
    const left = Object.keys((await removeResources(stateOptions(flags), targets)).resources).length;
    process.stdout.write(`Removed ${targets.join(', ')} from the state (${left} resources left).\n`);
  }
}
