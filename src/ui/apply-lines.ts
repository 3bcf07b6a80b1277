/**
 * Plain apply output for CI and pipes: one line per action start/end, build logs in GitHub
 * `::group::` blocks (printed whole when the action ends, since parallel builds interleave), a
 * summary, and a markdown summary for `$GITHUB_STEP_SUMMARY`.
 */
import type { ApplyEvent, ApplyOutcome } from '../apply/executor.js';
import { MARKERS } from './plan-summary.js';

/** A done or failed event with `logFile`, the path of the action's full log, when one was written. */
export function withLogFile(e: ApplyEvent, logs?: { file(actionId: string): string | undefined }): ApplyEvent & { logFile?: string } {
  const file = (e.event === 'done' || e.event === 'failed') ? logs?.file(e.id) : undefined;
  return file ? { ...e, logFile: file } : e;
}

/** A line printer for apply events. */
export function createLinePrinter(write: (s: string) => void, opts: { githubActions: boolean }) {
  const logs = new Map<string, string[]>();
  return (e: ApplyEvent) => {
    if (e.event === 'log') {
      const buf = logs.get(e.id) ?? [];
      buf.push(e.line);
      logs.set(e.id, buf.length > 2000 ? buf.slice(-1000) : buf);
      return;
    }
    if (e.event === 'start') { write(`${MARKERS[e.type]} ${e.type} ${e.address}: started\n`); return; }
    const lines = logs.get(e.id) ?? [];
    logs.delete(e.id);
    if (e.event === 'done') {
      write(`${MARKERS[e.type]} ${e.type} ${e.address}: done in ${(e.ms / 1000).toFixed(1)}s${e.digest ? ` (${e.digest})` : ''}\n`);
      if (opts.githubActions && lines.length > 0) write(`::group::${e.type} ${e.address} log\n${lines.join('\n')}\n::endgroup::\n`);
    } else if (e.event === 'failed') {
      write(`✗ ${e.type} ${e.address}: FAILED: ${e.error}\n`);
      if (lines.length > 0) {
        const shown = opts.githubActions ? lines : lines.slice(-20);
        write(opts.githubActions ? `::group::${e.type} ${e.address} log\n${shown.join('\n')}\n::endgroup::\n` : `${shown.map((l) => `  | ${l}`).join('\n')}\n`);
      }
      if (opts.githubActions) write(`::error title=mirror ${e.type} failed::${e.address}: ${e.error}\n`);
    } else if (e.event === 'skipped') {
      write(`- ${e.type} ${e.address}: skipped (${e.reason})\n`);
    }
  };
}

/** `Apply: 12 done, 1 failed, 2 skipped.` (the plain output and the live view end with it). */
export function outcomeLine(outcome: ApplyOutcome): string {
  return `Apply: ${outcome.done.length} done, ${outcome.failed.length} failed, ${outcome.skipped.length} skipped.`;
}

/** The outcome line plus the failures and skips. */
export function summaryText(outcome: ApplyOutcome): string {
  const lines = [outcomeLine(outcome)];
  for (const f of outcome.failed) lines.push(`  failed  ${f.id}: ${f.error}`);
  for (const s of outcome.skipped) lines.push(`  skipped ${s.id}: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

/** Markdown for `$GITHUB_STEP_SUMMARY`. */
export function summaryMarkdown(outcome: ApplyOutcome): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = ['### mirror apply', '', `**${outcome.done.length} done, ${outcome.failed.length} failed, ${outcome.skipped.length} skipped.**`, ''];
  if (outcome.failed.length + outcome.skipped.length > 0) {
    out.push('| Action | Result | Why |', '|---|---|---|');
    for (const f of outcome.failed) out.push(`| \`${f.id}\` | ❌ failed | ${esc(f.error)} |`);
    for (const s of outcome.skipped) out.push(`| \`${s.id}\` | ⏭ skipped | ${esc(s.reason)} |`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
