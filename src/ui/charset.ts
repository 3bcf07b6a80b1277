/**
 * ASCII fallback for terminals whose locale is not UTF-8 (LANG=C, ISO-8859-1): the markers, tree
 * folds, spinner and bars would print as mojibake there. Drawn text goes through `forTerminal`,
 * which maps every non-ASCII character to ASCII, one character for one so columns stay aligned
 * (the ⏎ key name excepted: it is only in the key hints, which are not aligned).
 */

/**
 * Whether the locale says UTF-8. The first of LC_ALL, LC_CTYPE, LANG that is set decides (POSIX
 * precedence); with none set, mirror assumes UTF-8: most terminals are, and a bare container
 * environment usually just lacks the variables.
 */
export function isUtf8(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  return !locale || /utf-?8/i.test(locale);
}

// One ASCII character for each (alignment): markers, folds, the spinner, bars, punctuation.
const ASCII: Record<string, string> = {
  '→': '>', '←': '<', '↑': '^', '↓': 'v', '✓': '*', '✗': 'x', '×': 'x', '▾': 'v', '▸': '>',
  '…': '.', '│': '|', '█': '#', '░': '.', '·': '-', '—': '-', '–': '-', '▏': '_', '⚠': '!', '❌': 'x', '⏭': '-', '§': 'S',
  '⠋': '|', '⠙': '/', '⠹': '-', '⠸': '\\', '⠼': '|', '⠴': '/', '⠦': '-', '⠧': '\\', '⠇': '|', '⠏': '/',
};

/** `text` in ASCII: known glyphs mapped, anything else non-ASCII as `?`. */
export function toAscii(text: string): string {
  return text.replace(/⏎/g, 'enter').replace(/\uFE0F/g, '').replace(/[^\x00-\x7F]/gu, (c) => ASCII[c] ?? '?');
}

/** `text` as the terminal can show it: unchanged on UTF-8, ASCII otherwise. */
export function forTerminal(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return isUtf8(env) ? text : toAscii(text);
}
