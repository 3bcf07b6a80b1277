import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ALT_SCREEN, enterAltScreen } from './alt-screen.js';

const fake = (isTTY: boolean) => {
  const out: string[] = [];
  const stream = Object.assign(new EventEmitter(), { isTTY, write: (s: string) => out.push(s) }) as unknown as NodeJS.WriteStream;
  return { out, stream };
};

describe('alternate screen', () => {
  it('enters on a terminal and leaves once, however often leave is called', () => {
    const { out, stream } = fake(true);
    const leave = enterAltScreen(stream);
    leave();
    leave();
    expect(out).toEqual([ALT_SCREEN.enter, ALT_SCREEN.leave]);
    expect(ALT_SCREEN).toEqual({ enter: '\u001B[?1049h', leave: '\u001B[?1049l', clear: '\u001B[2J\u001B[H' });
  });

  it('clears the alternate screen on every resize while on it, not after leaving', () => {
    const { out, stream } = fake(true);
    const leave = enterAltScreen(stream);
    stream.emit('resize');
    leave();
    stream.emit('resize');
    expect(out).toEqual([ALT_SCREEN.enter, ALT_SCREEN.clear, ALT_SCREEN.leave]);
  });

  it('leaves on process exit too (a second Ctrl-C exits at once), and unhooks once left', () => {
    const { out, stream } = fake(true);
    const before = process.listeners('exit').length;
    const leave = enterAltScreen(stream);
    const hook = process.listeners('exit').at(-1) as () => void;
    expect(process.listeners('exit')).toHaveLength(before + 1);
    // When the process exits (the hook runs), the screen is restored
    hook();
    expect(out).toEqual([ALT_SCREEN.enter, ALT_SCREEN.leave]);
    expect(process.listeners('exit')).toHaveLength(before);
    leave();
    expect(out).toHaveLength(2);
  });

  it('does nothing when the stream is not a terminal', () => {
    const { out, stream } = fake(false);
    enterAltScreen(stream)();
    expect(out).toEqual([]);
  });
});
