// Start-up time of the CLI: `mirror --version` (answered by bin/run.js before oclif loads),
// `mirror --help` and `mirror validate --help` (oclif, the manifest and its plugins), `mirror help plan`,
// and `mirror plan` up to loading its config.
// Median and minimum of N runs each, so the plugins' cost on start-up is measured, not guessed.
// Reproduce: npm run build && node bench/startup.js [runs]; to see what the oclif plugins cost,
// run it again with `oclif.plugins` removed from package.json.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[2] ?? 20);
// The last one loads a command: plan's module and everything it imports (the CLI bundle), then
// run() up to the config error (no such file), so it is the start-up of every plan without its work.
const cases = [['--version'], ['--help'], ['validate', '--help'], ['help', 'plan'], ['plan', '--config', 'no-such-config.json']];

for (const args of cases) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    // (without the help plugin `help plan` exits 2, and plan without its config 1: still timed, it is the start-up that counts)
    try { execFileSync(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], { stdio: 'ignore' }); } catch { /* see above */ }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`mirror ${args.join(' ')}: median ${times[Math.floor(RUNS / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms (${RUNS} runs)`);
}
