import { describe, expect, it } from 'vitest';
import { ALT_SCREEN, enterAltScreen } from './alt-screen.js';

const fake = (isTTY: boolean) => { const out: string[] = []; return { out, stream: { isTTY, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream }; };

describe('alternate screen', () => {
  it('enters on a terminal and leaves once, however often leave is called', () => {
    const { out, stream } = fake(true);
    const leave = enterAltScreen(stream);
    leave();
    leave();
    expect(out).toEqual([ALT_SCREEN.enter, ALT_SCREEN.leave]);
    expect(ALT_SCREEN).toEqual({ enter: '\u001B[?1049h', leave: '\u001B[?1049l' });
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
