#!/usr/bin/env node
// Tiny launcher. `mirror --version` is answered here, before @oclif/core is imported: oclif
// costs ~80 ms to load even with the manifest, and version checks run in every CI job.
// Everything else goes through oclif, which reads oclif.manifest.json so --help loads no command.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A command lives about a second. Node 20's V8 (11.x) starts optimizing a function (TurboFan, on
// background threads) after ~66 KB of its bytecode ran; most of that compiling is for code that
// is done before it pays off: a quarter of a plan's CPU (bench/plan: 0.89 -> 0.65 s user). Four
// times the budget still optimizes what stays hot (a long apply), later. Set before anything else
// loads. V8 12+ (Node 22, 24) tiers up through Maglev by invocation counts and has no such flag
// (it would print "unrecognized flag" on every command), so there it is left as it is.
if (Number(process.versions.v8.split('.')[0]) < 12) setFlagsFromString('--interrupt-budget=270000');

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === 'version')) {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`mirror/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
