import { describe, expect, it } from 'vitest';
import { forTerminal, isUtf8, toAscii } from './charset.js';

describe('ASCII fallback', () => {
  it('reads the locale in POSIX order (LC_ALL, LC_CTYPE, LANG); none set counts as UTF-8', () => {
    expect(isUtf8({})).toBe(true);
    expect(isUtf8({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(isUtf8({ LANG: 'C.utf8' })).toBe(true);
    expect(isUtf8({ LANG: 'C' })).toBe(false);
    expect(isUtf8({ LANG: 'en_US.UTF-8', LC_CTYPE: 'en_US.ISO-8859-1' })).toBe(false);
    expect(isUtf8({ LANG: 'C', LC_ALL: 'en_US.UTF-8' })).toBe(true);
    expect(isUtf8({ LC_ALL: 'POSIX', LC_CTYPE: 'C.UTF-8' })).toBe(false);
  });

  it('maps markers, folds, spinner and bars one character for one, so columns stay aligned', () => {
    const row = '▾ ✓ 10.4.1 → latest · done …';
    expect(toAscii(row)).toBe('v * 10.4.1 > latest - done .');
    expect(toAscii(row)).toHaveLength(row.length);
    expect(toAscii('⠋⠙⠹⠸ [███░░] ✗ │ ▸')).toBe('|/-\\ [###..] x | >');
    expect(toAscii('type yes ⏎ apply · ↑↓ move')).toBe('type yes enter apply - ^v move');
    expect(toAscii('unknown ✨ glyph')).toBe('unknown ? glyph');
  });

  it('leaves text alone on a UTF-8 terminal', () => {
    expect(forTerminal('▾ ✓ →', { LANG: 'en_US.UTF-8' })).toBe('▾ ✓ →');
    expect(forTerminal('▾ ✓ →', { LANG: 'C' })).toBe('v * >');
  });
});
