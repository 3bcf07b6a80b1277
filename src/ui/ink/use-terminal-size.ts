/** The terminal's size, following resizes, so views adapt to the width and fit the height. */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/** Columns and rows of Ink's stdout (80 × 24 when the stream does not say). */
export function useTerminalSize(): { width: number; height: number } {
  const { stdout } = useStdout();
  const read = () => ({ width: stdout.columns || 80, height: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => { stdout.off('resize', onResize); };
  }, [stdout]);
  return size;
}
