import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { AbortError } from '../errors.js';
import { scaffoldConfig } from '../config/scaffold.js';

/** `mirror init`: write a starter mirror.config.ts. */
export default class Init extends BaseCommand {
  static summary = 'Scaffold a mirror.config.ts in the working directory.';
  static flags = {
    registry: Flags.string({ description: 'registry.url to write', default: 'ghcr.io/OWNER/mirror', env: 'MIRROR_REGISTRY' }),
    force: Flags.boolean({ description: 'overwrite an existing file' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    const file = path.join(process.cwd(), 'mirror.config.ts');
    if (existsSync(file) && !flags.force) {
      throw new AbortError(`${file} already exists.`, 'Edit it, or pass --force to overwrite it.');
    }
    await writeFile(file, scaffoldConfig(flags.registry));
    // The default registry has a placeholder: say so now rather than at validate.
    const placeholder = flags.registry.split('/').includes('OWNER') ? ' Replace OWNER in registry.url with your namespace;' : '';
    process.stdout.write(`Wrote ${file}.${placeholder} Next: \`mirror validate\`, then \`mirror plan\`.\n`);
  }
}
