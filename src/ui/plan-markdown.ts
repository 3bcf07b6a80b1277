/** Markdown plan for PR comments and `$GITHUB_STEP_SUMMARY`: drift first, a table, details per app. */
import type { Plan } from '../plan/types.js';
import { DRIFT_WORDS, MARKERS, actionsByApp, shortDigest, summaryLine, windowText } from './plan-summary.js';
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
  const groups = actionsByApp(plan);
  out.push('| App | Window | Latest | Build | Merge | Tag | Attest | Prune |', '|---|---|---|---:|---:|---:|---:|---:|');
  for (const app of plan.apps) {
    const actions = groups.get(app.name) ?? [];
    const n = (t: string) => actions.filter((a) => a.type === t).length;
    out.push(`| ${app.name} | ${windowText(app.window)} | ${app.latest ?? '—'} | ${n('build')} | ${n('merge')} | ${n('tag')} | ${n('attest')} | ${n('prune')} |`);
  }
  out.push('');
  for (const app of plan.apps) {
    const actions = groups.get(app.name) ?? [];
    out.push(`<details><summary><b>${app.name}</b>: ${actions.length === 0 ? 'up to date' : `${actions.length} action(s)`}</summary>`, '');
    for (const w of app.warnings ?? []) out.push(`- ⚠️ ${cell(w)}`);
    if ((app.warnings ?? []).length > 0) out.push('');
    if (actions.length > 0) {
      out.push('| | Action | Address | Reason |', '|---|---|---|---|');
      for (const a of actions) out.push(`| ${MARKERS[a.type]} | ${a.type} | \`${a.address}\` | ${cell(reasonText(a))} |`);
    }
    out.push('', '</details>', '');
  }
  return out.join('\n');
}
