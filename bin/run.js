#!/usr/bin/env node
// Tiny launcher. `mirror --version` is answered here, before @oclif/core is imported: oclif
// costs ~80 ms to load even with the manifest, and version checks run in every CI job.
// Everything else goes through oclif, which reads oclif.manifest.json so --help loads no command.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === 'version')) {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`mirror/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
