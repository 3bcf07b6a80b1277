/**
 * The result of an apply that failed, as plain text for the scrollback (after the live view ends)
 * and for CI: failures grouped by cause (`2 builds: apps.mostlymatter patches[2] … changed nothing
 * in server/build/Dockerfile.`), each with its full error, the last lines of its log and the path
 * of its full log, then what finished and how to resume.
 */
import type { ApplyOutcome } from '../apply/executor.js';
import { ACTION_TYPES, type ActionType } from '../plan/types.js';
import { summaryText } from './apply-lines.js';

/** What the triage needs from the run's logs. */
export interface TriageLogs {
  file(actionId: string): string | undefined;
  tail(actionId: string): string[];
}

/** One cause and the actions it failed. */
export interface FailureGroup {
  /** The first failure's message (the cause as the tool said it). */
  cause: string;
  ids: string[];
  /** Actions per type, in the summaries' order. */
  types: Partial<Record<ActionType, number>>;
}

const NOUNS: Record<ActionType, [string, string]> = {
  build: ['build', 'builds'], merge: ['merge', 'merges'], tag: ['tag move', 'tag moves'],
  attest: ['attestation', 'attestations'], prune: ['prune', 'prunes'], import: ['import', 'imports'],
};

const typeOf = (id: string) => id.slice(0, id.indexOf(':')) as ActionType;
const addressOf = (id: string) => id.slice(id.indexOf(':') + 1);
const firstLine = (s: string) => s.split('\n')[0];

/**
 * The cause of a failure with what is particular to the action left out, so the same cause on
 * several versions or platforms groups: the address, the version and the platform become `·`.
 */
export function causeKey(id: string, error: string): string {
  const address = addressOf(id);
  const [, version, platform] = /@([^/]+)(?:\/(.+))?$/.exec(address) ?? [];
  let key = firstLine(error).split(address).join('·');
  for (const part of [platform, version]) if (part) key = key.split(part).join('·');
  return key;
}

/** Failures grouped by cause, largest group first. */
export function groupFailures(failed: ApplyOutcome['failed']): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const f of failed) {
    const key = causeKey(f.id, f.error);
    const g = groups.get(key) ?? { cause: firstLine(f.error), ids: [], types: {} };
    g.ids.push(f.id);
    g.types[typeOf(f.id)] = (g.types[typeOf(f.id)] ?? 0) + 1;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.ids.length - a.ids.length);
}

/** `4 builds, 1 merge`. */
function countText(types: FailureGroup['types']): string {
  return ACTION_TYPES.filter((t) => types[t]).map((t) => `${types[t]} ${NOUNS[t][types[t] === 1 ? 0 : 1]}`).join(', ');
}

/** `23 done are recorded; fix and run mirror apply to resume.` */
export function resumeLine(outcome: ApplyOutcome): string {
  return `${outcome.done.length} done ${outcome.done.length === 1 ? 'is' : 'are'} recorded; fix and run mirror apply to resume.`;
}

/** The triage of a run with failures (empty when nothing failed). */
export function triageText(outcome: ApplyOutcome, logs?: TriageLogs, opts: { logDir?: string; tailLines?: number } = {}): string {
  if (outcome.failed.length === 0) return '';
  const errors = new Map(outcome.failed.map((f) => [f.id, f.error]));
  const out = ['', 'Failures by cause:'];
  for (const g of groupFailures(outcome.failed)) {
    out.push(`  ${countText(g.types)}: ${g.cause}`);
    for (const id of g.ids) {
      const file = logs?.file(id);
      out.push(`    ✗ ${id}${file ? `  (log: ${file})` : ''}`);
      const error = errors.get(id) ?? '';
      // The full message when it says more than the cause line (other lines, or another address).
      if (error !== g.cause) for (const line of error.split('\n')) out.push(`        ${line}`);
      for (const line of (logs?.tail(id) ?? []).slice(-(opts.tailLines ?? 5))) out.push(`        | ${line}`);
    }
  }
  out.push('', resumeLine(outcome));
  if (opts.logDir) out.push(`Full logs: ${opts.logDir}`);
  return `${out.join('\n')}\n`;
}

/** What stays in the terminal (or the CI log) after an apply: the summary lines, then the triage. */
export function resultText(outcome: ApplyOutcome, logs?: TriageLogs & { dir: string }): string {
  return `${summaryText(outcome)}${triageText(outcome, logs, { logDir: logs?.dir })}`;
}
