/**
 * The interactive plan's model: a tree app → version → platform built once per plan, and the
 * flat list of visible rows for a fold/filter state. Pure, so the Ink view only draws rows and
 * its navigation is testable without a terminal.
 */
import { countByType, type Action, type ActionOf, type ActionType, type Drift, type Plan } from '../../plan/types.js';
import { tagMoveLabel } from '../../plan/tag-move.js';
import { DRIFT_MARKER, MARKERS, actionsByApp, appOf, countsText, driftByApp, driftText, windowText } from '../plan-summary.js';
import { reasonText } from '../prune-text.js';

/** What a row's marker stands for: an action type, drift, or nothing (an up-to-date app). */
export type Kind = ActionType | 'drift' | 'none';

/** One node of the tree. */
export interface TreeNode {
  /** Stable and unique: the fold state is keyed by it. */
  key: string;
  kind: Kind;
  label: string;
  /** The reason (leaves) or what the group holds (apps, versions). */
  detail: string;
  /** What `/` matches against: the app name for apps, the version for versions. */
  match: string;
  children: TreeNode[];
}

/** A visible row: a node at a depth, and whether it is folded. */
export interface Row {
  node: TreeNode;
  depth: number;
  folded: boolean;
}

/** The marker printed for a kind. */
export function markerOf(kind: Kind): string {
  if (kind === 'drift') return DRIFT_MARKER;
  if (kind === 'none') return ' ';
  return MARKERS[kind];
}

// A group shows the most consequential thing inside it: drift first, then builds down to prunes.
const WEIGHT: Kind[] = ['drift', 'build', 'merge', 'tag', 'attest', 'prune'];
const dominant = (kinds: Kind[]): Kind => WEIGHT.find((k) => kinds.includes(k)) ?? 'none';

function leafLabel(a: Action, multiImage: boolean): string {
  const image = multiImage ? `${a.image} ` : '';
  if (a.type === 'build') return `${image}${a.platform}`.trim();
  if (a.type === 'merge') return `${image}index`.trim();
  return `${image}${a.type}`.trim();
}

function tagNode(a: ActionOf<'tag'>, multiImage: boolean): TreeNode {
  const image = multiImage ? `${a.image}:` : '';
  return { key: a.id, kind: 'tag', label: tagMoveLabel(a, image), detail: a.reason, match: a.version, children: [] };
}

function driftNode(d: Drift): TreeNode {
  return { key: `drift:${d.address}`, kind: 'drift', label: d.address, detail: driftText(d), match: '', children: [] };
}

/** Build the tree: per app its drift, tag moves, then versions (window order) with their actions. */
export function buildPlanTree(plan: Plan): TreeNode[] {
  const groups = actionsByApp(plan);
  const drifts = driftByApp(plan);
  return plan.apps.map((app) => {
    const actions = groups.get(app.name) ?? [];
    const multiImage = app.images.length > 1;
    const drift = (drifts.get(app.name) ?? []).map(driftNode);
    const tags = actions.filter((a) => a.type === 'tag').map((a) => tagNode(a, multiImage));
    const byVersion = new Map<string, Action[]>();
    for (const a of actions) {
      if (a.type === 'tag') continue;
      byVersion.set(a.version, [...(byVersion.get(a.version) ?? []), a]);
    }
    const order = [...app.window.filter((v) => byVersion.has(v)), ...[...byVersion.keys()].filter((v) => !app.window.includes(v))];
    const versions = order.map((version): TreeNode => {
      const list = byVersion.get(version) ?? [];
      // Attestation reasons only follow from the merge; the version's own reason is its builds' and merge's.
      const own = list.filter((a) => a.type !== 'attest');
      const reasons = new Set((own.length > 0 ? own : list).map((a) => a.reason));
      return {
        key: `version:${app.name}@${version}`, kind: dominant(list.map((a) => a.type)), label: version, match: version,
        detail: `${countsText(countByType(list))}${reasons.size === 1 ? ` — ${[...reasons][0]}` : ''}`,
        children: list.map((a) => ({ key: a.id, kind: a.type, label: leafLabel(a, multiImage), detail: reasonText(a), match: version, children: [] })),
      };
    });
    // Preflight problems (`--preflight`) lead, like drift: the build of that version would fail.
    const preflight = (plan.preflight ?? []).filter((p) => appOf(p.address) === app.name)
      .map((p): TreeNode => ({ key: `preflight:${p.address}:${p.check}`, kind: 'drift', label: p.address, detail: `${p.check}: ${p.reason}`, match: '', children: [] }));
    const children = [...preflight, ...drift, ...tags, ...versions];
    const counts = countsText(countByType(actions));
    const head = `window ${windowText(app.window)}${app.latest ? `, latest ${app.latest}` : ''}`;
    const issues = [preflight.length > 0 ? `${preflight.length} preflight ${preflight.length === 1 ? 'problem' : 'problems'}` : '', drift.length > 0 ? `${drift.length} drifted` : '', ...(app.warnings ?? []).map((w) => `warning: ${w}`)].filter(Boolean);
    return {
      key: `app:${app.name}`, kind: dominant([...(drift.length + preflight.length > 0 ? ['drift' as const] : []), ...actions.map((a) => a.type)]),
      label: app.name, match: app.name, children,
      detail: [counts || 'up to date', head, ...issues].join(' · '),
    };
  });
}

/** Rows beyond which versions start folded, so a 200-app plan opens as one screen per few apps. */
export const FOLD_VERSIONS_ABOVE = 120;

/** The initial fold state: everything open for small plans, versions folded for large ones. */
export function initialFolds(tree: TreeNode[]): Set<string> {
  const total = tree.reduce((n, app) => n + 1 + app.children.reduce((m, c) => m + 1 + c.children.length, 0), 0);
  if (total <= FOLD_VERSIONS_ABOVE) return new Set();
  return new Set(tree.flatMap((app) => app.children.filter((c) => c.children.length > 0).map((c) => c.key)));
}

/**
 * Keep what the filter names: a whole app when its name contains the query, else only the
 * versions containing it (under their app). An empty query keeps everything.
 */
export function filterTree(tree: TreeNode[], query: string): TreeNode[] {
  const q = query.trim().toLowerCase();
  if (!q) return tree;
  const out: TreeNode[] = [];
  for (const app of tree) {
    if (app.match.toLowerCase().includes(q)) { out.push(app); continue; }
    const children = app.children.filter((c) => c.match !== '' && c.match.toLowerCase().includes(q));
    if (children.length > 0) out.push({ ...app, children });
  }
  return out;
}

/** Where the detail column starts: after the widest indented label of the whole tree. */
export function labelColumn(tree: TreeNode[]): number {
  let widest = 0;
  const walk = (nodes: TreeNode[], depth: number) => {
    for (const n of nodes) {
      widest = Math.max(widest, 2 * depth + 2 + n.label.length);
      walk(n.children, depth + 1);
    }
  };
  walk(tree, 0);
  return widest;
}

/** The visible rows: depth-first, skipping the children of folded nodes. */
export function flattenTree(tree: TreeNode[], folds: ReadonlySet<string>): Row[] {
  const rows: Row[] = [];
  const walk = (nodes: TreeNode[], depth: number) => {
    for (const node of nodes) {
      const folded = node.children.length > 0 && folds.has(node.key);
      rows.push({ node, depth, folded });
      if (!folded) walk(node.children, depth + 1);
    }
  };
  walk(tree, 0);
  return rows;
}

/** The first row of the window so that the cursor stays visible, moving the window as little as possible. */
export function scrollOffset(previous: number, cursor: number, visible: number, total: number): number {
  if (visible <= 0) return 0;
  let offset = Math.min(previous, Math.max(0, total - visible));
  if (cursor < offset) offset = cursor;
  if (cursor >= offset + visible) offset = cursor - visible + 1;
  return Math.max(0, offset);
}
