/** Plain-text plan (non-TTY, CI logs): Terraform-like, colour only when asked. */
import { styleText } from 'node:util';
import type { Plan } from '../plan/types.js';
import { DRIFT_MARKER, MARKERS, MARKER_COLORS, actionsByApp, driftText, preflightLine, summaryLine, windowText } from './plan-summary.js';
import { reasonText } from './prune-text.js';

type Color = Parameters<typeof styleText>[0];

/** Render a plan as text lines. */
export function renderPlanText(plan: Plan, opts: { color?: boolean } = {}): string {
  const paint = (color: Color, s: string) => (opts.color ? styleText(color, s) : s);
  const out: string[] = [];
  const pad = Math.min(60, Math.max(0, ...plan.actions.map((a) => a.address.length)));
  if (plan.drift.length > 0) {
    out.push(paint('red', 'Drift: the registry differs from the state file'));
    for (const d of plan.drift) out.push(`  ${paint('red', DRIFT_MARKER)} ${d.address.padEnd(pad)}  ${driftText(d)}`);
    out.push('');
  }
  const preflight = preflightLine(plan);
  if (preflight && plan.preflight?.length) {
    out.push(paint('red', preflight));
    for (const p of plan.preflight) out.push(`  ${paint('red', DRIFT_MARKER)} ${p.address.padEnd(pad)}  ${p.check}: ${p.reason}`);
    out.push('');
  }
  for (const [name, actions] of actionsByApp(plan)) {
    const app = plan.apps.find((a) => a.name === name);
    const head = `${paint('bold', name)} — window ${windowText(app?.window ?? [])}${app?.latest ? `, latest ${app.latest}` : ''}`;
    out.push(head);
    for (const w of app?.warnings ?? []) out.push(`  ${paint('yellow', 'warning:')} ${w}`);
    if (actions.length === 0) out.push(paint('dim', '  up to date'));
    for (const a of actions) {
      const marker = paint(MARKER_COLORS[a.type], MARKERS[a.type]);
      out.push(`  ${marker} ${a.type.padEnd(6)} ${a.address.padEnd(pad)}  ${paint('dim', reasonText(a))}`);
    }
    out.push('');
  }
  out.push(paint('bold', summaryLine(plan)));
  if (preflight && plan.preflight?.length === 0) out.push(preflight);
  return `${out.join('\n')}\n`;
}
