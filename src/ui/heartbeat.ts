/**
 * A heartbeat for long actions in plain output (CI logs, pipes): a build prints nothing between
 * its start and end lines (its log is printed whole at the end, since parallel builds interleave),
 * so every interval each action still running says so, with the builder's step when it printed one:
 * `still building mattermost@10.4.1/linux/arm64 [60 s, step 7/12]`.
 */
import type { ApplyEvent } from '../apply/executor.js';

// buildah: `STEP 7/12: RUN …`; BuildKit (buildx): `#9 [7/12] RUN …` (`[stage 3/5]` for a named stage).
const STEP = [/^STEP (\d+)\/(\d+)[:\s]/, /^#\d+ \[(?:[^\]]*\s)?(\d+)\/(\d+)\]/];

/** The step a builder log line announces, as `7/12`. */
export function stepOf(line: string): string | undefined {
  for (const re of STEP) {
    const m = re.exec(line);
    if (m) return `${m[1]}/${m[2]}`;
  }
  return undefined;
}

const VERB: Record<string, string> = { build: 'building', merge: 'merging', tag: 'tagging', attest: 'attesting', prune: 'pruning', import: 'importing' };

/** The default interval, overridable with MIRROR_HEARTBEAT_SECONDS (0 turns it off). */
export function heartbeatMs(env: NodeJS.ProcessEnv): number {
  const s = Number(env.MIRROR_HEARTBEAT_SECONDS ?? 30);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : 30_000;
}

/** Watches apply events; `beat()` (called by the timer) writes one line per action running longer than the interval. */
export function createHeartbeat(write: (s: string) => void, intervalMs: number, now: () => number = Date.now) {
  const running = new Map<string, { type: string; address: string; since: number; step?: string }>();
  const beat = () => {
    const t = now();
    for (const r of running.values()) {
      const s = Math.floor((t - r.since) / 1000);
      if (t - r.since >= intervalMs) write(`still ${VERB[r.type] ?? r.type} ${r.address} [${s} s${r.step ? `, step ${r.step}` : ''}]\n`);
    }
  };
  const timer = intervalMs > 0 ? setInterval(beat, intervalMs) : undefined;
  // The heartbeat never keeps mirror alive on its own.
  timer?.unref();
  return {
    observe(e: ApplyEvent): void {
      if (e.event === 'start') running.set(e.id, { type: e.type, address: e.address, since: now() });
      else if (e.event === 'log') {
        const r = running.get(e.id);
        const step = r && stepOf(e.line);
        if (r && step) r.step = step;
      } else running.delete(e.id);
    },
    beat,
    stop(): void { if (timer) clearInterval(timer); running.clear(); },
  };
}
