import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyEvent } from '../../apply/executor.js';
import { applyEvent, finishProgress, startProgress, visibleRows, type ApplyProgress } from './apply-progress.js';
import { ApplyView } from './ApplyView.js';

afterEach(() => cleanup());

const T0 = 1_000_000;
const frame = (progress: ApplyProgress, now: number, size = { width: 100, height: 30 }) => {
  const app = render(<ApplyView progress={progress} now={now} {...size} />);
  return stripVTControlCharacters(app.lastFrame() ?? '').split('\n');
};
const feed = (p: ApplyProgress, events: Array<[number, ApplyEvent]>) => events.reduce((acc, [at, e]) => applyEvent(acc, e, at), p);
const ev = (event: 'start' | 'done' | 'failed' | 'skipped', id: string, extra: Record<string, unknown> = {}): ApplyEvent => {
  const [type, address] = id.split(/:(.*)/s);
  return { event, id, type, address, time: 't', ...extra } as ApplyEvent;
};

describe('ApplyView', () => {
  it('shows running actions with a spinner, elapsed time and their last log lines, finished ones with status, and a progress bar', () => {
    // Given a run of 4 actions: one build done, one running with logs, one failed
    const p = feed(startProgress(4, T0), [
      [T0, ev('start', 'build:mm@1.0.0/linux/amd64')],
      [T0, ev('start', 'build:mm@1.0.0/linux/arm64')],
      [T0 + 100, { event: 'log', id: 'build:mm@1.0.0/linux/arm64', line: 'STEP 1/4: FROM busybox' }],
      [T0 + 200, { event: 'log', id: 'build:mm@1.0.0/linux/arm64', line: 'STEP 2/4: ARG MM_PACKAGE' }],
      [T0 + 300, { event: 'log', id: 'build:mm@1.0.0/linux/arm64', line: 'STEP 3/4: RUN curl -L $MM_PACKAGE | tar -xvz' }],
      [T0 + 400, { event: 'log', id: 'build:mm@1.0.0/linux/arm64', line: 'STEP 4/4: COPY . /' }],
      [T0 + 1500, ev('done', 'build:mm@1.0.0/linux/amd64', { ms: 1500, digest: `sha256:${'c'.repeat(64)}` })],
      [T0 + 2000, ev('start', 'build:mm@0.9.0/linux/amd64')],
      [T0 + 2300, ev('failed', 'build:mm@0.9.0/linux/amd64', { ms: 300, error: 'buildah build failed (exit 1)\nsecond line' })],
    ]);
    // When drawn at T0 + 12.3 s
    const lines = frame(p, T0 + 12_300);
    // Then
    expect(lines).toEqual([
      'mirror apply — 4 actions',
      '+ build  mm@1.0.0/linux/amd64     1.5s  done sha256:cccccccccccc',
      expect.stringMatching(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] build  mm@1\.0\.0\/linux\/arm64    12\.3s  running$/),
      '    │ STEP 2/4: ARG MM_PACKAGE',
      '    │ STEP 3/4: RUN curl -L $MM_PACKAGE | tar -xvz',
      '    │ STEP 4/4: COPY . /',
      '✗ build  mm@0.9.0/linux/amd64     0.3s  failed: buildah build failed (exit 1)',
      '[███████████████░░░░░░░░░░░░░░░] 2/4 · 1 done · 1 failed · 0 skipped · 12.3s',
    ]);
  });

  it('ends with the summary line once the outcome is in, and keeps within a small screen', () => {
    let p = startProgress(12, T0);
    for (let i = 0; i < 12; i++) {
      p = applyEvent(p, ev('start', `merge:app${i}@1.0.0`), T0);
      p = applyEvent(p, ev('done', `merge:app${i}@1.0.0`, { ms: 200 }), T0 + 200);
    }
    p = finishProgress(p, { done: Array.from({ length: 12 }, (_, i) => `merge:app${i}@1.0.0`), failed: [], skipped: [] });
    const lines = frame(p, T0 + 65_000, { width: 60, height: 10 });
    expect(lines).toHaveLength(9);
    // The bar gives up cells so the counts fit the 60 columns
    expect(lines.slice(-3)).toEqual([
      '  … 7 more',
      '[██████████] 12/12 · 12 done · 0 failed · 0 skipped · 1m 05s',
      'Apply: 12 done, 0 failed, 0 skipped.',
    ]);
    // The newest finished are the ones shown, in start order
    expect(lines[1]).toMatch(/^~ merge  app7@1\.0\.0 /);
  });

  it('keeps running actions and failures over finished ones when the screen is short', () => {
    let p = startProgress(6, T0);
    for (const id of ['tag:a:latest', 'tag:b:latest', 'tag:c:latest']) p = applyEvent(applyEvent(p, ev('start', id), T0), ev('done', id, { ms: 1 }), T0);
    p = applyEvent(p, ev('start', 'merge:x@1'), T0);
    p = applyEvent(applyEvent(p, ev('start', 'merge:y@1'), T0), ev('failed', 'merge:y@1', { ms: 1, error: 'boom' }), T0);
    const { rows, hidden } = visibleRows(p, 3);
    expect(rows.map((r) => r.id)).toEqual(['merge:x@1', 'merge:y@1']);
    expect(hidden).toBe(3);
  });
});
