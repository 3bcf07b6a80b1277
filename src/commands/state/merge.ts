import { BaseCommand } from '../../cli/base-command.js';
import { configFlag, lockTimeoutFlag } from '../../cli/flags.js';
import { AbortError } from '../../errors.js';
import { parseDuration } from '../../state/lock.js';
import { mergeFragments } from '../../services/state.js';

/** `mirror state merge FILE…`: fold fragments written by parallel build runners into the state. */
export default class StateMerge extends BaseCommand {
  static summary = 'Fold state fragments from parallel runners into the state; conflicting digests are refused.';
  static strict = false;
  static usage = 'state merge FILE...';
  static flags = { config: configFlag, 'lock-timeout': lockTimeoutFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(StateMerge);
    const files = argv as string[];
    if (files.length === 0) throw new AbortError('state merge needs at least one fragment file.');
    const { state, added } = await mergeFragments({ cwd: process.cwd(), config: flags.config, env: process.env, lockTimeoutMs: parseDuration(flags['lock-timeout']) }, files);
    process.stdout.write(`Merged ${files.length} fragment(s): ${added.length} new resource(s), state serial ${state.serial}.\n`);
  }
}
