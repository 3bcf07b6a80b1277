/**
 * The terminal entry points, and the only module commands import for Ink: they load it with a
 * dynamic `import()` on the TTY path, so `--json`, pipes and CI never load Ink or React.
 */
import { render, useApp } from 'ink';
import { useEffect, useState } from 'react';
import type { ApplyEvent, ApplyOutcome } from '../../apply/executor.js';
import type { Plan } from '../../plan/types.js';
import type { Approval } from '../approval.js';
import { ApplyView } from './ApplyView.js';
import { applyEvent, finishProgress, startProgress, type ApplyProgress } from './apply-progress.js';
import { PlanView, type PlanViewMode } from './PlanView.js';
import { useTerminalSize } from './use-terminal-size.js';

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
  const app = render(<PlanScreen plan={plan} mode={mode} approval={approval} onDone={(a) => { approved = a; }} />, INK_OPTIONS);
  await app.waitUntilExit();
  return approved;
}

/** `mirror plan` on a terminal: browse the plan until `q`. */
export async function browsePlan(plan: Plan): Promise<void> {
  await showPlan(plan, 'browse');
}

/** `mirror apply`'s confirmation: true only when the user pressed `y` (typed `yes` for a destructive plan). */
export async function confirmPlan(plan: Plan, approval: Approval): Promise<boolean> {
  return showPlan(plan, 'confirm', approval);
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

/** Start the live view for `total` actions. */
export function startLiveApply(total: number): LiveApply {
  let progress = startProgress(total, Date.now());
  let listener: Listener | undefined;
  const app = render(<LiveApplyScreen initial={progress} subscribe={(l) => { listener = l; l(progress); }} />, INK_OPTIONS);
  const update = (next: ApplyProgress) => { progress = next; listener?.(progress); };
  return {
    emit: (e) => update(applyEvent(progress, e, Date.now())),
    finish: async (outcome) => {
      update(finishProgress(progress, outcome));
      await app.waitUntilExit();
    },
    stop: () => app.unmount(),
  };
}
