/** Shared wording of plan renderers, so text, markdown and the Ink view say the same thing. */
import { ACTION_TYPES, type Action, type ActionType, type Drift, type Plan } from '../plan/types.js';
import { freesText } from './prune-text.js';

/** Terraform-style marker per action type. */
export const MARKERS: Record<ActionType, string> = { build: '+', merge: '~', tag: '→', attest: '✓', prune: '-', import: '<' };

/** Marker of a drifted address (registry and state disagree). */
export const DRIFT_MARKER = '!';

/** Terminal colour per action type (text and Ink views paint markers alike); drift is magenta. */
export const MARKER_COLORS: Record<ActionType, 'green' | 'yellow' | 'cyan' | 'blue' | 'red'> = {
  build: 'green', merge: 'yellow', tag: 'cyan', attest: 'blue', prune: 'red', import: 'cyan',
};

const NOUNS: Record<ActionType, [string, string]> = {
  build: ['build', 'builds'],
  merge: ['merge', 'merges'],
  tag: ['tag move', 'tag moves'],
  attest: ['attestation', 'attestations'],
  prune: ['to prune', 'to prune'],
  import: ['import', 'imports'],
};

/** `14 builds` / `1 merge`. */
function countText(type: ActionType, n: number): string {
  return `${n} ${NOUNS[type][n === 1 ? 0 : 1]}`;
}

/** `2 builds, 1 merge, 1 attestation`: the non-zero counts in the summary's order; `frees` follows the prune count. */
export function countsText(counts: Record<ActionType, number>, frees = ''): string {
  return ACTION_TYPES.filter((t) => counts[t] > 0).map((t) => `${countText(t, counts[t])}${t === 'prune' ? frees : ''}`).join(', ');
}

/** `Plan: 14 builds, 7 merges, 2 tag moves, 7 attestations.` or the no-change sentence. */
export function summaryLine(plan: Plan): string {
  const counts = countsText(plan.summary, freesText(plan));
  if (counts === '') {
    const versions = plan.apps.reduce((n, a) => n + a.window.length, 0);
    return plan.refreshOnly
      ? `Refresh only: ${plan.drift.length === 0 ? 'no drift' : `${plan.drift.length} drifted ${plan.drift.length === 1 ? 'address' : 'addresses'}`}.`
      : `No changes. The registry matches the config (${plan.apps.length} apps, ${versions} versions).`;
  }
  return `Plan: ${counts}.`;
}

/** `Preflight: 2 problems — these versions would fail before building.` (undefined when preflight did not run). */
export function preflightLine(plan: Plan): string | undefined {
  const found = plan.preflight;
  if (!found) return undefined;
  const n = found.length;
  return n === 0
    ? 'Preflight: every version to build passed (source tags, patches, URLs).'
    : `Preflight: ${n} ${n === 1 ? 'problem' : 'problems'} — ${n === 1 ? 'this version' : 'these versions'} would fail before building.`;
}

/** How each drift kind reads. */
export const DRIFT_WORDS: Record<Drift['kind'], string> = {
  moved: 'moved outside mirror', deleted: 'deleted from the registry', unknown: 'unknown tag (not managed by mirror)',
};

/** `moved outside mirror: state sha256:…, registry sha256:…`. */
export function driftText(d: Drift): string {
  if (d.kind === 'unknown') return `${DRIFT_WORDS.unknown}${d.actual ? `: ${shortDigest(d.actual)}` : ''}`;
  if (d.kind === 'deleted') return `${DRIFT_WORDS.deleted}: state ${shortDigest(d.expected)}`;
  return `${DRIFT_WORDS.moved}: state ${shortDigest(d.expected)}, registry ${shortDigest(d.actual)}`;
}

/** The app an address belongs to (`outline/base-outline@1.9.2` → `outline`, `mattermost:latest` → `mattermost`). */
export function appOf(address: string): string {
  return address.split(/[/@:]/)[0];
}

/** Drifted addresses grouped by app, in plan order (every app present). */
export function driftByApp(plan: Plan): Map<string, Drift[]> {
  const groups = new Map<string, Drift[]>(plan.apps.map((a) => [a.name, []]));
  for (const d of plan.drift) {
    const app = appOf(d.address);
    groups.set(app, [...(groups.get(app) ?? []), d]);
  }
  return groups;
}

/** Actions grouped by app, in plan order. */
export function actionsByApp(plan: Plan): Map<string, Action[]> {
  const groups = new Map<string, Action[]>(plan.apps.map((a) => [a.name, []]));
  for (const action of plan.actions) {
    const list = groups.get(action.app) ?? [];
    list.push(action);
    groups.set(action.app, list);
  }
  return groups;
}

/** `10.3.1 … 10.2.0 (10 versions)`. */
export function windowText(window: string[]): string {
  if (window.length === 0) return 'no versions';
  if (window.length === 1) return `${window[0]} (1 version)`;
  return `${window[0]} … ${window[window.length - 1]} (${window.length} versions)`;
}

/** Short digest for humans: `sha256:0123456789ab`. */
export function shortDigest(digest: string | null): string {
  return digest ? digest.slice(0, 19) : 'absent';
}
