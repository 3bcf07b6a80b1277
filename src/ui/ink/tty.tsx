/**
 * The terminal entry points, and the only module commands import for Ink: they load it with a
 * dynamic `import()` on the TTY path, so `--json`, pipes and CI never load Ink or React.
 */
import { render, renderToString, useApp } from 'ink';
import { useEffect, useState } from 'react';
import type { ApplyEvent, ApplyOutcome } from '../../apply/executor.js';
import type { Plan } from '../../plan/types.js';
import type { Approval } from '../approval.js';
import { ApplyView } from './ApplyView.js';
import { applyEvent, FAILED_LOG_TAIL, finishProgress, startProgress, type ApplyProgress } from './apply-progress.js';
import { PlanView, type PlanViewMode } from './PlanView.js';
import { useTerminalSize } from './use-terminal-size.js';
import { enterAltScreen } from './alt-screen.js';
import { renderPlanText } from '../plan-text.js';
import { forTerminal } from '../charset.js';

// Ctrl-C is a key of the views (abort), not a kill. Not `incrementalRendering`: in ink 6.8 it
// writes lines one row too low once the cursor moves (seen under tmux); the views stay shorter
// than the screen instead, which is what keeps Ink from clearing and redrawing it all.
const INK_OPTIONS = { exitOnCtrlC: false, patchConsole: false } as const;

function PlanScreen({ plan, mode, approval, onDone }: { plan: Plan; mode: PlanViewMode; approval?: Approval; onDone(approved: boolean): void }) {
  const { exit } = useApp();
  const { width, height } = useTerminalSize();
  return <PlanView plan={plan} mode={mode} approval={approval} width={width} height={height} onDone={(approved) => { onDone(approved); exit(); }} />;
}

async function showPlan(plan: Plan, mode: PlanViewMode, approval?: Approval): Promise<boolean> {
  let approved = false;
  // Ink turns raw mode on only after its first frame; keys typed before that would be echoed over
  // the frame by the terminal. Raw from the start, they wait in stdin until Ink reads them.
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  const leave = enterAltScreen();
  try {
    const app = render(<PlanScreen plan={plan} mode={mode} approval={approval} onDone={(a) => { approved = a; }} />, INK_OPTIONS);
    await app.waitUntilExit();
  } finally {
    leave();
  }
  return approved;
}

/** Colour of the plain text left on the normal screen (Ink's own follows FORCE_COLOR, set by loadInk). */
const plainColor = () => process.env.FORCE_COLOR !== '0';

/** `mirror plan` on a terminal: browse the plan until `q`, then leave the whole plan as plain text in the scrollback. */
export async function browsePlan(plan: Plan): Promise<void> {
  await showPlan(plan, 'browse');
  process.stdout.write(forTerminal(renderPlanText(plan, { color: plainColor() })));
}

/**
 * `mirror apply`'s confirmation: true only when the user pressed `y` (typed `yes` for a
 * destructive plan). The question and the whole plan answered stay in the scrollback.
 */
export async function confirmPlan(plan: Plan, approval: Approval): Promise<boolean> {
  const approved = await showPlan(plan, 'confirm', approval);
  process.stdout.write(forTerminal(`${approval.header}\n\n${renderPlanText(plan, { color: plainColor() })}${approved ? 'Approved.\n\n' : ''}`));
  return approved;
}

/** A running live view: feed it apply events, then finish it with the outcome. */
export interface LiveApply {
  emit(event: ApplyEvent): void;
  finish(outcome: ApplyOutcome): Promise<void>;
  /** Unmount without a summary (the apply threw); the error is printed after. */
  stop(): void;
}

type Listener = (p: ApplyProgress) => void;

function LiveApplyScreen({ initial, subscribe }: { initial: ApplyProgress; subscribe(l: Listener): void }) {
  const { exit } = useApp();
  const { width, height } = useTerminalSize();
  const [progress, setProgress] = useState(initial);
  const [now, setNow] = useState(Date.now());
  useEffect(() => { subscribe(setProgress); }, [subscribe]);
  useEffect(() => {
    if (progress.outcome) { exit(); return undefined; }
    // The clock drives the spinner and the elapsed times; Ink caps redraws at its frame rate.
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [progress.outcome, exit]);
  return <ApplyView progress={progress} now={progress.outcome ? Date.now() : now} width={width} height={height} />;
}

/**
 * Start the live view for `total` actions, on the alternate screen. When it finishes, its final
 * frame is drawn once more on the normal screen with every row (the live one is cut to the
 * screen's height), so the scrollback holds the whole run.
 */
export function startLiveApply(total: number): LiveApply {
  let progress = startProgress(total, Date.now());
  let listener: Listener | undefined;
  const leave = enterAltScreen();
  const app = render(<LiveApplyScreen initial={progress} subscribe={(l) => { listener = l; l(progress); }} />, INK_OPTIONS);
  const update = (next: ApplyProgress) => { progress = next; listener?.(progress); };
  return {
    emit: (e) => update(applyEvent(progress, e, Date.now())),
    finish: async (outcome) => {
      update(finishProgress(progress, outcome));
      try {
        await app.waitUntilExit();
      } finally {
        leave();
      }
      const width = process.stdout.columns || 80;
      const height = progress.rows.length * (FAILED_LOG_TAIL + 2) + 8;
      process.stdout.write(`${renderToString(<ApplyView progress={progress} now={Date.now()} width={width} height={height} />, { columns: width })}\n`);
    },
    stop: () => { app.unmount(); leave(); },
  };
}
