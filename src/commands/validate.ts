import { BaseCommand } from '../cli/base-command.js';
import { configFlag } from '../cli/flags.js';
import { loadConfig } from '../config/load.js';
import { unconfinedWarning } from '../providers/builder/index.js';

/** `mirror validate`: check the config without touching any upstream or registry. */
export default class Validate extends BaseCommand {
  static summary = 'Check the config file.';
  static flags = { config: configFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Validate);
    const config = await loadConfig({ cwd: process.cwd(), config: flags.config });
    const images = config.apps.reduce((n, a) => n + a.images.length, 0);
    for (const app of config.apps) if (app.isolation === 'chroot') process.stderr.write(`warning: ${unconfinedWarning(app.name)}\n`);
    process.stdout.write(`${config.file} is valid: ${config.apps.length} apps, ${images} images, registry ${config.registry.url}.\n`);
  }
}
