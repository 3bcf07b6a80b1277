/**
 * The alternate screen (xterm's `?1049`, what less and vim use): the interactive views draw there,
 * so scrolling, folding and filtering never leave stale frames in the terminal's scrollback. On
 * leaving, the normal screen is back as it was, and the caller prints the plain truth on it (the
 * plan, the apply result). Left on every path: normal return, a thrown error, and process exit
 * (a second Ctrl-C exits at once), or the shell would be stranded on the alternate screen.
 */

/** Escape sequences to enter and leave the alternate screen. */
export const ALT_SCREEN = { enter: '\u001B[?1049h', leave: '\u001B[?1049l', clear: '\u001B[2J\u001B[H' } as const;

/** Switch `stream` (a terminal) to the alternate screen; returns the idempotent way back. */
export function enterAltScreen(stream: NodeJS.WriteStream = process.stdout): () => void {
  if (!stream.isTTY) return () => undefined;
  stream.write(ALT_SCREEN.enter);
  // A narrower terminal reflows the last frame, so Ink's erase-the-last-N-lines misses rows and the
  // next frame lands below a stale header. The alternate screen holds nothing else: clear it all
  // first (this listener is added before Ink's, so it runs before Ink redraws).
  const clear = () => stream.write(ALT_SCREEN.clear);
  stream.on('resize', clear);
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    stream.off('resize', clear);
    process.off('exit', leave);
    // A TTY write is synchronous, so this lands even from the exit handler.
    stream.write(ALT_SCREEN.leave);
  };
  process.on('exit', leave);
  return leave;
}
