import { describe, expect, it } from 'vitest';
import { createHeartbeat, heartbeatMs, stepOf } from './heartbeat.js';

const ev = (event: string, id: string, extra: object = {}) => ({ event, id, type: id.split(':')[0], address: id.split(':')[1], time: '', ms: 0, ...extra }) as never;

describe('heartbeat', () => {
  it('reads the step from buildah and BuildKit lines, nothing from other lines', () => {
    expect(stepOf('STEP 7/12: RUN make')).toBe('7/12');
    expect(stepOf('#9 [7/12] RUN make')).toBe('7/12');
    expect(stepOf('#9 [build 3/5] RUN make')).toBe('3/5');
    expect(stepOf('copying STEP 7/12')).toBeUndefined();
    expect(stepOf('Getting image source signatures')).toBeUndefined();
  });

  it('names each action running longer than the interval with its seconds and last step; finished ones stop', () => {
    // Given a 60 s heartbeat and two builds started 10 s apart, the first at step 7/12
    const out: string[] = [];
    let t = 0;
    const hb = createHeartbeat((s) => out.push(s), 60_000, () => t);
    hb.observe(ev('start', 'build:mattermost@10.4.1/linux/arm64'));
    t = 10_000;
    hb.observe(ev('start', 'build:mattermost@10.4.1/linux/amd64'));
    hb.observe(ev('log', 'build:mattermost@10.4.1/linux/arm64', { line: 'STEP 7/12: RUN make' }));
    // When 60 s have passed since the first: only it is named
    t = 60_000;
    hb.beat();
    // When the first is done and 75 s have passed: only the second, without a step
    hb.observe(ev('done', 'build:mattermost@10.4.1/linux/arm64'));
    t = 75_000;
    hb.beat();
    hb.stop();
    expect(out).toEqual(['still building mattermost@10.4.1/linux/arm64 [60 s, step 7/12]\n', 'still building mattermost@10.4.1/linux/amd64 [65 s]\n']);
  });

  it('interval from MIRROR_HEARTBEAT_SECONDS, 30 s by default', () => {
    expect(heartbeatMs({})).toBe(30_000);
    expect(heartbeatMs({ MIRROR_HEARTBEAT_SECONDS: '2' })).toBe(2000);
    expect(heartbeatMs({ MIRROR_HEARTBEAT_SECONDS: 'x' })).toBe(30_000);
  });
});
