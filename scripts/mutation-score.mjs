// Mutation score per folder from Stryker's JSON report (reports/mutation/mutation.json), printed
// after `npm run test:mutation` and, on GitHub, written to the step summary. Exits 1 when the
// whole is below 90 % or a folder below 80 % (issue 20's bar).
// Score = detected / (detected + undetected): killed and timed-out mutants are detected; survived
// and uncovered ones are not; ignored (disable comments, static), compile and runtime errors count for neither.
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

const OVERALL_MIN = 90;
const FOLDER_MIN = 80;
const report = JSON.parse(readFileSync(process.argv[2] ?? 'reports/mutation/mutation.json', 'utf8'));

const tally = () => ({ killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0 });
const folders = new Map();
const total = tally();
const survivors = [];
for (const [file, { mutants }] of Object.entries(report.files)) {
  const folder = path.posix.dirname(file.split(path.sep).join('/'));
  if (!folders.has(folder)) folders.set(folder, tally());
  for (const m of mutants) {
    const key = { Killed: 'killed', Timeout: 'timeout', Survived: 'survived', NoCoverage: 'noCoverage', Ignored: 'ignored' }[m.status];
    if (!key) continue;
    folders.get(folder)[key] += 1;
    total[key] += 1;
    if (m.status === 'Survived' || m.status === 'NoCoverage') survivors.push(`${file}:${m.location.start.line} ${m.mutatorName}${m.replacement ? ` → ${m.replacement.split('\n')[0].slice(0, 60)}` : ''} (${m.status})`);
  }
}
const score = (t) => {
  const detected = t.killed + t.timeout;
  const valid = detected + t.survived + t.noCoverage;
  return valid === 0 ? 100 : (100 * detected) / valid;
};

const rows = [...folders.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([folder, t]) => ({ folder, t, s: score(t) }));
rows.push({ folder: 'all (scoped core)', t: total, s: score(total) });
const header = ['folder', 'score', 'killed', 'timeout', 'survived', 'no cov', 'ignored'];
const cells = (r) => [r.folder, `${r.s.toFixed(2)} %`, r.t.killed, r.t.timeout, r.t.survived, r.t.noCoverage, r.t.ignored].map(String);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => cells(r)[i].length)));
const line = (cs) => cs.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`\nMutation score per folder (bar: ${OVERALL_MIN} % overall, ${FOLDER_MIN} % per folder)`);
console.log(line(header));
for (const r of rows) console.log(line(cells(r)));

const failing = rows.filter((r, i) => (i === rows.length - 1 ? r.s < OVERALL_MIN : r.s < FOLDER_MIN));
if (process.env.GITHUB_STEP_SUMMARY) {
  const md = [
    `## Mutation score: ${score(total).toFixed(2)} %`, '',
    `| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${cells(r).join(' | ')} |`), '',
    survivors.length ? `<details><summary>${survivors.length} undetected mutants</summary>\n\n${survivors.map((s) => `- \`${s}\``).join('\n')}\n\n</details>` : 'No undetected mutants.', '',
  ];
  appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${md.join('\n')}\n`);
}
if (failing.length) {
  console.error(`Below the bar: ${failing.map((r) => `${r.folder} ${r.s.toFixed(2)} %`).join(', ')}`);
  process.exit(1);
}
