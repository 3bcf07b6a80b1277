import { describe, expect, it } from 'vitest';
import { createLinePrinter, summaryMarkdown, summaryText } from './apply-lines.js';

describe('apply line output', () => {
  it('prints one line per start and end, and build logs as a ::group:: in GitHub Actions', () => {
    let out = '';
    const print = createLinePrinter((s) => { out += s; }, { githubActions: true });
    print({ event: 'start', id: 'build:a@1/linux/amd64', type: 'build', address: 'a@1/linux/amd64', time: 't' });
    print({ event: 'log', id: 'build:a@1/linux/amd64', line: 'STEP 1/2: FROM base' });
    print({ event: 'done', id: 'build:a@1/linux/amd64', type: 'build', address: 'a@1/linux/amd64', time: 't', ms: 1500, digest: 'sha256:abc' });
    print({ event: 'failed', id: 'merge:a@1', type: 'merge', address: 'a@1', time: 't', ms: 10, error: 'boom' });
    expect(out).toBe([
      '+ build a@1/linux/amd64: started',
      '+ build a@1/linux/amd64: done in 1.5s (sha256:abc)',
      '::group::build a@1/linux/amd64 log', 'STEP 1/2: FROM base', '::endgroup::',
      '✗ merge a@1: FAILED: boom',
      '::error title=mirror merge failed::a@1: boom', '',
    ].join('\n'));
  });

  it('summarizes as text and as markdown for the step summary', () => {
    const outcome = { done: ['build:x'], failed: [{ id: 'build:y', error: 'exit | 1' }], skipped: [{ id: 'merge:y', reason: 'depends on build:y, which failed' }] };
    expect(summaryText(outcome)).toBe('Apply: 1 done, 1 failed, 1 skipped.\n  failed  build:y: exit | 1\n  skipped merge:y: depends on build:y, which failed\n');
    expect(summaryMarkdown(outcome)).toContain('| `build:y` | ❌ failed | exit \\| 1 |');
  });
});
