import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
      '[███████████████░░░░░░░░░░░░░░░] 2/4 · 1 done · 1 failed · 0 skipped · 1 queued · 12.3s',
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
    // The bar gives up cells so the counts fit the 60 columns; the hidden rows are the oldest, so
    // the line that counts them stands above the rows shown (issue 19: it stood below them)
    expect(lines[1]).toBe('  … 7 earlier');
    expect(lines.slice(-2)).toEqual([
      '[██████████] 12/12 · 12 done · 0 failed · 0 skipped · 1m 05s',
      'Apply: 12 done, 0 failed, 0 skipped.',
    ]);
    // The newest finished are the ones shown, in start order
    expect(lines[2]).toMatch(/^~ merge  app7@1\.0\.0 /);
    // At 40 columns the bar takes its own line and the counts and the outcome wrap, never cut
    const narrow = frame(p, T0 + 65_000, { width: 40, height: 10 });
    expect(narrow).toHaveLength(9);
    expect(narrow.slice(-4)).toEqual([
      `[${'█'.repeat(30)}]`,
      '12/12 · 12 done · 0 failed · 0 skipped ·',
      '1m 05s',
      'Apply: 12 done, 0 failed, 0 skipped.',
    ]);
  });

  it('shows a failed build\'s last 8 log lines under its red row, cut to the width, live and in the final summary', () => {
    // Given a build that logged 10 lines (one long, one with colour codes and a tab) and failed, and a tag still running
    const id = 'build:mm@1.0.0/linux/amd64';
    const log = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
    log[7] = `RUN curl -L https://releases.example/${'x'.repeat(80)}.tar.gz | tar -xvz`;
    log[8] = '\u001b[31merror:\u001b[0m\tbuilding at STEP "RUN curl": exit status 1';
    let p = feed(startProgress(3, T0), [
      [T0, ev('start', id)],
      ...log.map((line, i): [number, ApplyEvent] => [T0 + i, { event: 'log', id, line }]),
      [T0 + 900, ev('failed', id, { ms: 900, error: 'buildah build failed: error: building at STEP "RUN curl": exit status 1' })],
      [T0 + 950, ev('start', 'tag:mm:latest')],
    ]);
    const tail = [
      '    │ line 3', '    │ line 4', '    │ line 5', '    │ line 6', '    │ line 7',
      `    │ RUN curl -L https://releases.example/${'x'.repeat(16)}…`,
      '    │ error:  building at STEP "RUN curl": exit status 1',
      '    │ line 10',
    ];
    // When drawn live, 60 columns wide
    const live = frame(p, T0 + 1000, { width: 60, height: 20 });
    // Then the red row is followed by the tail, every line within the width
    const row = live.findIndex((l) => l.startsWith('✗ build  mm@1.0.0/linux/amd64'));
    expect(row).toBeGreaterThan(0);
    expect(live.slice(row + 1, row + 9)).toEqual(tail);
    expect(live.every((l) => [...l].length <= 60)).toBe(true);
    // And when the run has ended, the summary frame keeps them
    p = applyEvent(p, ev('done', 'tag:mm:latest', { ms: 10 }), T0 + 1000);
    p = finishProgress(p, { done: ['tag:mm:latest'], failed: [{ id, error: 'buildah build failed' }], skipped: [{ id: 'merge:mm@1.0.0', reason: 'depends on build:mm@1.0.0/linux/amd64, which failed' }] });
    const end = frame(p, T0 + 2000, { width: 60, height: 20 });
    const endRow = end.findIndex((l) => l.startsWith('✗ build  mm@1.0.0/linux/amd64'));
    expect(end.slice(endRow + 1, endRow + 9)).toEqual(tail);
    expect(end.at(-1)).toBe('Apply: 1 done, 1 failed, 1 skipped.');
  });

  it('on a short screen a failure keeps its row and as much of its log as fits', () => {
    const id = 'build:mm@1.0.0/linux/amd64';
    let p = startProgress(4, T0);
    for (const t of ['tag:a:latest', 'tag:b:latest']) p = applyEvent(applyEvent(p, ev('start', t), T0), ev('done', t, { ms: 1 }), T0);
    p = applyEvent(p, ev('start', id), T0);
    for (let i = 1; i <= 10; i++) p = applyEvent(p, { event: 'log', id, line: `line ${i}` }, T0);
    p = applyEvent(p, ev('failed', id, { ms: 5, error: 'boom' }), T0);
    const { rows, failedTail, hidden } = visibleRows(p, 6);
    // 6 lines: "… 2 earlier", the failed row and 4 log lines
    expect(rows.map((r) => r.id)).toEqual([id]);
    expect(failedTail).toBe(4);
    expect(hidden).toBe(2);
    // (80 columns: the counts, now with "1 queued", share the bar's line)
    expect(frame(p, T0, { width: 80, height: 9 }).slice(1, 7)).toEqual([
      '  … 2 earlier',
      expect.stringMatching(/^✗ build  mm@1\.0\.0\/linux\/amd64 +0\.0s  failed: boom$/),
      '    │ line 7', '    │ line 8', '    │ line 9', '    │ line 10',
    ]);
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

  it('in a non-UTF-8 locale the spinner, markers and bar are ASCII', () => {
    vi.stubEnv('LC_ALL', 'C');
    try {
      const p = feed(startProgress(2, T0), [
        [T0, ev('start', 'build:mm@1.0.0/linux/amd64')],
        [T0, ev('start', 'attest:mm@1.0.0')],
        [T0 + 100, ev('failed', 'attest:mm@1.0.0', { ms: 100, error: 'no key' })],
      ]);
      const lines = frame(p, T0 + 1000, { width: 60, height: 10 });
      expect(lines.join('\n')).toMatch(/^[\x00-\x7F]*$/);
      expect(lines[1]).toMatch(/^[|/\\-] build  mm@1\.0\.0\/linux\/amd64 +1\.0s  running$/);
      expect(lines[2]).toMatch(/^x attest +mm@1\.0\.0 +0\.1s  failed: no key$/);
      expect(lines.at(-1)).toMatch(/^\[#+\.+\] 1\/2 /);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a row started after the clock\'s last tick shows 0.0s, never -0.0s; the counts name the queued actions until the end', () => {
    const p = applyEvent(startProgress(18, T0), ev('start', 'build:mm@1.0.0/linux/amd64'), T0 + 50);
    const lines = frame(p, T0 + 20, { width: 100, height: 10 });
    expect(lines[1]).toMatch(/ 0\.0s  running$/);
    expect(lines.join('\n')).not.toContain('-0.0s');
    expect(lines.at(-1)).toContain('0/18 · 0 done · 0 failed · 0 skipped · 17 queued · ');
  });
});
