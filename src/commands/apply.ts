import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand, isInteractive, loadInk, useColor } from '../cli/base-command.js';
import { configFlag, listFlag, lockTimeoutFlag, noColorFlag, replaceFlag, targetFlag } from '../cli/flags.js';
import { AbortError } from '../errors.js';
import { ACTION_TYPES, type ActionType, type Plan } from '../plan/types.js';
import { parseDuration } from '../system/duration.js';
import { applyPlan } from '../services/apply.js';
import { handleInterrupts } from '../system/interrupt.js';
import { SIGNAL_EXIT_CODE } from '../system/interrupt-exit.js';
import { createLinePrinter, withLogFile } from '../ui/apply-lines.js';
import type { ApplyEvent } from '../apply/executor.js';
import { confirmApply, planBeforeActing, writeApplyResult, writeStats, writeStepSummary } from '../ui/apply-report.js';
import { createRunLogs } from '../apply/run-logs.js';
import { createHeartbeat, heartbeatMs } from '../ui/heartbeat.js';
import { inCi } from '../ui/ci.js';
import { createPlanProgress } from '../ui/plan-progress.js';
import type { LiveApply } from '../ui/ink/tty.js';


/** `mirror apply [PLANFILE]`: make the registry match the config. */
export default class Apply extends BaseCommand {
  static summary = 'Build, merge, tag and attest what the plan says is missing.';
  // Stops cleanly by itself: no new actions, builds cancelled, what finished recorded (below).
  protected static handlesInterrupts = true;
  static examples = ['<%= config.bin %> apply', '<%= config.bin %> apply --auto-approve', '<%= config.bin %> apply plan.json'];
  static args = { planfile: Args.string({ description: 'a plan saved with `mirror plan --out` (applied exactly, refused when stale)' }) };
  static flags = {
    config: configFlag,
    'auto-approve': Flags.boolean({ description: 'do not ask for confirmation', env: 'MIRROR_AUTO_APPROVE' }),
    target: targetFlag,
    replace: replaceFlag,
    parallelism: Flags.integer({ description: 'actions run at once (builds: one per platform at a time)', default: 4, min: 1, env: 'MIRROR_PARALLELISM' }),
    'lock-timeout': lockTimeoutFlag,
    only: Flags.string({ description: 'only these action types (comma-separated: build,merge,tag,attest)', env: 'MIRROR_ONLY' }),
    platform: Flags.string({ description: 'only the builds of this platform (a native runner)', env: 'MIRROR_PLATFORM' }),
    json: Flags.boolean({ description: 'one JSON event per line on stdout', env: 'MIRROR_JSON' }),
    'fragment-out': Flags.string({ description: 'a CI build runner: record what it pushed in this fragment file (for `mirror state merge`) instead of the shared state', env: 'MIRROR_FRAGMENT_OUT' }),
    'refresh-only': Flags.boolean({ description: "record the registry's truth (drift) in the state; build nothing", env: 'MIRROR_REFRESH_ONLY' }),
    'no-color': noColorFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const only = flags.only ? listFlag(flags.only) : undefined;
    const bad = only?.find((t) => !(ACTION_TYPES as readonly string[]).includes(t));
    if (bad) throw new AbortError(`--only: unknown action type "${bad}".`, `Use some of ${ACTION_TYPES.join(', ')}.`);
    const interactive = isInteractive();
    if (!args.planfile && !flags['auto-approve'] && !interactive) {
      throw new AbortError('Refusing to apply without confirmation: this is not an interactive terminal.',
        'Pass --auto-approve, or save a plan and apply it: mirror plan --out plan.json && mirror apply plan.json');
    }
    const write = (s: string) => process.stdout.write(s);

    // On a terminal the Ink views confirm and show progress; Ink loads only on this path.
    const tty = interactive && !flags.json ? await loadInk(flags['no-color']) : undefined;
    let live: LiveApply | undefined;
    // Every action's full log, under .mirror/logs/<run-id>/ (the views show only tails). Not on a
    // CI build runner (--fragment-out): it writes nothing but its fragment, and its job log has the groups.
    const logs = flags['fragment-out'] ? undefined : createRunLogs(path.join('.mirror', 'logs'));
    // JSON events of finished actions name their full log (a field added; SPEC's event names are unchanged).
    const print = flags.json ? (e: ApplyEvent) => write(`${JSON.stringify(withLogFile(e, logs))}\n`) : createLinePrinter(write, { githubActions: process.env.GITHUB_ACTIONS === 'true' });
    const scope = { targets: listFlag(flags.target), platform: flags.platform, only };
    // The plan's reads: a progress line on a terminal's stderr, a line per app in CI; cleared before the plan shows.
    const reads = createPlanProgress(process.stderr, process.env);
    const confirm = args.planfile || flags['auto-approve']
      // Unattended in CI, in plain text: the job log shows the plan it acts on before the first action.
      ? (args.planfile || flags.json || flags['refresh-only'] || !inCi(process.env) ? undefined : async (plan: Plan) => { reads.end(); write(await planBeforeActing(plan)); return true; })
      : async (plan: Plan) => { reads.end(); return confirmApply(plan, scope, { tty, color: useColor(flags['no-color'], process.stderr) }); };
    // Plain output: builds print nothing until they end, so long ones say they are still running.
    const heartbeat = flags.json || tty ? undefined : createHeartbeat(write, heartbeatMs(process.env));
    // First Ctrl-C/SIGTERM: stop cleanly (below); a second one exits at once (system/interrupt.ts).
    const interrupt = handleInterrupts(() => { if (!live) process.stderr.write('Stopping: no new actions start; running builds are cancelled. Ctrl-C again to quit now.\n'); });
    const result = await applyPlan({
      cwd: process.cwd(), config: flags.config, planFile: args.planfile, targets: listFlag(flags.target), only: only as ActionType[] | undefined,
      platform: flags.platform, fragmentOut: flags['fragment-out'], refreshOnly: flags['refresh-only'], replace: listFlag(flags.replace), parallelism: flags.parallelism, lockTimeoutMs: parseDuration(flags['lock-timeout']), env: process.env,
      confirm, emit: (e) => { logs?.record(e); heartbeat?.observe(e); if (live) live.emit(e); else print(e); }, onStart: (actions) => { reads.end(); live = tty?.startLiveApply(actions.length); },
      warn: (m) => { reads.end(); process.stderr.write(`warning: ${m}\n`); }, progress: reads.progress,
      signal: interrupt.signal,
    }).catch((error: unknown) => {
      live?.stop();
      // Stopped before any action ran (waiting for the lock, planning): nothing was done.
      if (interrupt.received()) return undefined;
      throw error;
    }).finally(() => { reads.end(); heartbeat?.stop(); interrupt.dispose(); return logs?.close(); });
    const stoppedBy = interrupt.received();
    if (!result) {
      process.stderr.write('Interrupted: 0 done, 0 stopped; run apply again to resume.\n');
      process.exitCode = SIGNAL_EXIT_CODE[stoppedBy ?? 'SIGINT'];
      return;
    }
    if (result.aborted) {
      process.stderr.write('Apply cancelled; nothing was changed.\n');
      process.exitCode = 1;
      return;
    }
    if (result.refreshed) {
      const r = result.refreshed;
      write(flags.json ? `${JSON.stringify({ event: 'refreshed', addresses: r })}\n` : r.length === 0 ? 'No drift to record. The state matches the registry.\n' : `Refreshed ${r.length} address(es) from the registry: ${r.join(', ')}.\n`);
      return;
    }
    const { outcome } = result;
    await writeApplyResult(write, { json: Boolean(flags.json), live, outcome, plan: result.plan, logs });
    if (process.env.GITHUB_STEP_SUMMARY) await writeStepSummary(process.env.GITHUB_STEP_SUMMARY, outcome, result.plan);
    if (process.env.MIRROR_STATS === '1') writeStats({ registry: result.stats });
    if (outcome.failed.length > 0) process.exitCode = 1;
    if (stoppedBy) {
      // The last line, after the summary: the lock is released and the temp files are gone by now.
      process.stderr.write(`Interrupted: ${outcome.done.length} done, ${outcome.stopped?.length ?? 0} stopped; run apply again to resume.\n`);
      process.exitCode = SIGNAL_EXIT_CODE[stoppedBy];
    }
  }
}
