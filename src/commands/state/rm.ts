import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, lockTimeoutFlag } from '../../cli/flags.js';
import { AbortError } from '../../errors.js';
import { parseDuration } from '../../state/lock.js';
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
    const before = new Set(Object.keys((await removeResources({ cwd: process.cwd(), config: flags.config, env: process.env, lockTimeoutMs: parseDuration(flags['lock-timeout']) }, targets)).resources));
    process.stdout.write(`Removed ${targets.join(', ')} from the state (${before.size} resources left).\n`);
  }
}
