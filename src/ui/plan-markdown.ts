/**
 * Markdown plan for PR comments and `$GITHUB_STEP_SUMMARY`: drift called out first, a summary
 * table with one row per app, then a collapsible `<details>` per app with its actions and reasons
 * (open when the app drifted, so a reviewer cannot miss it).
 */
import { countByType, type Plan } from '../plan/types.js';
import { DRIFT_MARKER, DRIFT_WORDS, MARKERS, actionsByApp, countsText, driftByApp, driftText, preflightLine, shortDigest, summaryLine, windowText } from './plan-summary.js';
import { reasonText } from './prune-text.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Render a plan as GitHub-flavoured markdown. */
export function renderPlanMarkdown(plan: Plan): string {
  const out: string[] = ['### mirror plan', '', `**${summaryLine(plan)}** Registry \`${plan.registry}\`.`, ''];
  if (plan.drift.length > 0) {
    out.push('> [!WARNING]', `> **Drift:** ${plan.drift.length} address(es) in the registry differ from the state file.`, '');
    out.push('| Address | Drift | State | Registry |', '|---|---|---|---|');
    for (const d of plan.drift) out.push(`| \`${d.address}\` | ${DRIFT_WORDS[d.kind]} | \`${shortDigest(d.expected)}\` | \`${shortDigest(d.actual)}\` |`);
    out.push('');
  }
  const preflight = preflightLine(plan);
  if (preflight && plan.preflight?.length) {
    out.push('> [!CAUTION]', `> **${preflight}**`, '', '| | Version | Check | Problem |', '|---|---|---|---|');
    for (const p of plan.preflight) out.push(`| ${DRIFT_MARKER} | \`${p.address}\` | ${p.check} | ${cell(p.reason)} |`);
    out.push('');
  } else if (preflight) out.push(preflight, '');
  const groups = actionsByApp(plan);
  const drifts = driftByApp(plan);
  out.push('| App | Window | Latest | Build | Merge | Tag | Attest | Prune | Import | Drift |', '|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const app of plan.apps) {
    const n = countByType(groups.get(app.name) ?? []);
    out.push(`| ${app.name} | ${windowText(app.window)} | ${app.latest ?? '—'} | ${n.build} | ${n.merge} | ${n.tag} | ${n.attest} | ${n.prune} | ${n.import} | ${(drifts.get(app.name) ?? []).length} |`);
  }
  out.push('');
  for (const app of plan.apps) {
    const actions = groups.get(app.name) ?? [];
    const drift = drifts.get(app.name) ?? [];
    const what = [actions.length === 0 ? 'up to date' : countsText(countByType(actions)), drift.length > 0 ? `⚠️ ${drift.length} drifted` : ''].filter(Boolean).join(' · ');
    out.push(`<details${drift.length > 0 ? ' open' : ''}><summary><b>${app.name}</b>: ${what}</summary>`, '');
    for (const w of app.warnings ?? []) out.push(`- ⚠️ ${cell(w)}`);
    if ((app.warnings ?? []).length > 0) out.push('');
    if (actions.length + drift.length > 0) {
      out.push('| | Action | Address | Reason |', '|---|---|---|---|');
      for (const d of drift) out.push(`| ${DRIFT_MARKER} | drift | \`${d.address}\` | ${cell(driftText(d))} |`);
      for (const a of actions) out.push(`| ${MARKERS[a.type]} | ${a.type} | \`${a.address}\` | ${cell(reasonText(a))} |`);
    }
    out.push('', '</details>', '');
  }
  return out.join('\n');
}
