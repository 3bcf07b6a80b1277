import { describe, expect, it } from 'vitest';
import { causeKey, groupFailures, resultText, resumeLine, triageText } from './apply-triage.js';

const patchError = 'apps.mostlymatter patches[2] (replace "curl -L $MM_PACKAGE | tar -xvz --strip-c") changed nothing in server/build/Dockerfile.';
const outcome = {
  done: ['build:mattermost@10.4.1/linux/amd64', 'build:mattermost@10.4.1/linux/arm64', 'merge:mattermost@10.4.1'],
  failed: [
    { id: 'build:mostlymatter@10.4.0/linux/amd64', error: patchError },
    { id: 'build:mostlymatter@10.4.1/linux/amd64', error: 'git fetch failed: fatal: couldn\'t find remote ref refs/tags/v10.4.1-limitless' },
    { id: 'build:mostlymatter@10.4.0/linux/arm64', error: patchError },
    { id: 'build:mostlymatter@10.4.1/linux/arm64', error: 'git fetch failed: fatal: couldn\'t find remote ref refs/tags/v10.4.1-limitless' },
    { id: 'tag:mattermost:latest', error: 'registry answered 500 for PUT /v2/mattermost/manifests/latest\nafter 3 attempts' },
  ],
  skipped: [{ id: 'merge:mostlymatter@10.4.0', reason: 'depends on build:mostlymatter@10.4.0/linux/amd64, which failed' }],
};

describe('failure triage', () => {
  it('groups failures by cause across versions and platforms, largest first', () => {
    expect(causeKey('build:mostlymatter@10.4.1/linux/arm64', 'fetch of refs/tags/v10.4.1-limitless for linux/arm64 failed'))
      .toBe('fetch of refs/tags/v·-limitless for · failed');
    const groups = groupFailures(outcome.failed);
    expect(groups.map((g) => [g.ids.length, g.cause])).toEqual([
      [2, patchError],
      [2, "git fetch failed: fatal: couldn't find remote ref refs/tags/v10.4.1-limitless"],
      [1, 'registry answered 500 for PUT /v2/mattermost/manifests/latest'],
    ]);
    expect(groups[0].ids).toEqual(['build:mostlymatter@10.4.0/linux/amd64', 'build:mostlymatter@10.4.0/linux/arm64']);
  });

  it('prints each group with its count by type, every failure with its log path, full message and log tail, then what is recorded', () => {
    const logs = {
      dir: '.mirror/logs/run-1',
      file: (id: string) => (id.startsWith('build:') ? `.mirror/logs/run-1/${id.replace(/[:/]/g, '_')}.log` : undefined),
      tail: (id: string) => (id === 'build:mostlymatter@10.4.0/linux/amd64' ? ['Step 1/3', 'fatal: the real error'] : []),
    };
    const text = triageText(outcome, logs);
    expect(text.split('\n')).toEqual([
      '',
      'Failures by cause:',
      `  2 builds: ${patchError}`,
      '    ✗ build:mostlymatter@10.4.0/linux/amd64  (log: .mirror/logs/run-1/build_mostlymatter@10.4.0_linux_amd64.log)',
      '        | Step 1/3',
      '        | fatal: the real error',
      '    ✗ build:mostlymatter@10.4.0/linux/arm64  (log: .mirror/logs/run-1/build_mostlymatter@10.4.0_linux_arm64.log)',
      "  2 builds: git fetch failed: fatal: couldn't find remote ref refs/tags/v10.4.1-limitless",
      '    ✗ build:mostlymatter@10.4.1/linux/amd64  (log: .mirror/logs/run-1/build_mostlymatter@10.4.1_linux_amd64.log)',
      '    ✗ build:mostlymatter@10.4.1/linux/arm64  (log: .mirror/logs/run-1/build_mostlymatter@10.4.1_linux_arm64.log)',
      '  1 tag move: registry answered 500 for PUT /v2/mattermost/manifests/latest',
      '    ✗ tag:mattermost:latest',
      '        registry answered 500 for PUT /v2/mattermost/manifests/latest',
      '        after 3 attempts',
      '',
      '3 done are recorded; fix and run mirror apply to resume.',
      '',
    ]);
    expect(resultText(outcome, logs)).toMatch(/^Apply: 3 done, 5 failed, 1 skipped\.\n {2}failed {2}build:mostlymatter@10\.4\.0\/linux\/amd64: /);
    expect(resultText(outcome, logs)).toMatch(/resume\.\nFull logs: \.mirror\/logs\/run-1\n$/);
  });

  it('says nothing when nothing failed; one done is singular', () => {
    expect(triageText({ done: ['a:b'], failed: [], skipped: [] })).toBe('');
    expect(resumeLine({ done: ['a:b'], failed: [], skipped: [] })).toBe('1 done is recorded; fix and run mirror apply to resume.');
  });
});
