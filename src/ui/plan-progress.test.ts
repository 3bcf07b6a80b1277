import { describe, expect, it } from 'vitest';
import { createPlanProgress, progressLine } from './plan-progress.js';

const at = (upstreamDone: number, registryDone: number, finished?: string, appsDone = 0) => ({ apps: 3, upstreamDone, repositories: 4, registryDone, appsDone, finished });
const sink = (isTTY: boolean, columns = 120) => { const out: string[] = []; return { out, stream: { isTTY, columns, write: (s: string) => out.push(s) } }; };

describe('plan progress', () => {
  it('names upstream apps and registry repositories read of all', () => {
    expect(progressLine(at(1, 2))).toBe('Reading upstream 1/3 apps, registry 2/4 repositories…');
  });

  it('on a terminal: one line redrawn in place, at most every 100 ms but always the last, cleared at the end', () => {
    // Given a terminal on stderr and a clock
    const { out, stream } = sink(true);
    let t = 0;
    const p = createPlanProgress(stream, { TERM: 'xterm' }, () => t);
    // When reads finish 50 ms apart
    p.progress!(at(1, 0)); t = 50;
    p.progress!(at(1, 1)); t = 150;
    p.progress!(at(2, 1)); t = 160;
    p.progress!(at(3, 4));
    p.end();
    // Then the line is redrawn (the second skipped), the complete count shown, and the row cleared
    expect(out).toEqual([
      '\r\x1b[2KReading upstream 1/3 apps, registry 0/4 repositories…',
      '\r\x1b[2KReading upstream 2/3 apps, registry 1/4 repositories…',
      '\r\x1b[2KReading upstream 3/3 apps, registry 4/4 repositories…',
      '\r\x1b[2K',
    ]);
  });

  it('on a narrow terminal the line fits one row (it would wrap, and \\r redraw only its tail)', () => {
    const { out, stream } = sink(true, 30);
    createPlanProgress(stream, {}).progress!(at(1, 1));
    expect(out[0]).toBe('\r\x1b[2KReading upstream 1/3 apps, r…');
  });

  it('in CI: a plain line per app finished, none per read; nothing to clear', () => {
    const { out, stream } = sink(false);
    const p = createPlanProgress(stream, { CI: 'true' });
    p.progress!(at(1, 0));
    p.progress!(at(1, 2, 'mattermost', 1));
    p.progress!(at(3, 4, 'outline', 2));
    p.end();
    expect(out).toEqual(['Read mattermost (1/3 apps)\n', 'Read outline (2/3 apps)\n']);
  });

  it('a pipe outside CI stays quiet; TERM=dumb is not a terminal to redraw on', () => {
    const pipe = sink(false);
    createPlanProgress(pipe.stream, {}).progress?.(at(1, 1, 'mattermost', 1));
    const dumb = sink(true);
    createPlanProgress(dumb.stream, { TERM: 'dumb' }).progress?.(at(1, 1, 'mattermost', 1));
    expect([...pipe.out, ...dumb.out]).toEqual([]);
  });
});
