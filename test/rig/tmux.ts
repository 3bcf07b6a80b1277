/**
 * A real terminal for e2e tests: a tmux server on its own socket running one command in a pane of
 * a fixed size. Tests type with `send-keys` and read the screen with `capture-pane`, polling until
 * the text they expect appears (Ink draws asynchronously).
 */
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';

/** A running tmux pane. */
export interface Terminal {
  /** The screen as text (colours stripped by capture-pane). */
  screen(): Promise<string>;
  /** Everything the pane printed, scrollback included, wrapped lines joined (what stays after the program ends). */
  scrollback(): Promise<string>;
  /** Wait until the screen matches, returning it; fails with the last screen after `timeoutMs`. */
  waitFor(expected: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Send tmux key names (`Down`, `Enter`, `q`). */
  keys(...keys: string[]): Promise<void>;
  /** Type text literally. */
  type(text: string): Promise<void>;
  /** Resize the pane's window (the program gets SIGWINCH, as when a person drags the terminal). */
  resize(width: number, height: number): Promise<void>;
  /** Kill the tmux server. */
  kill(): Promise<void>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Run `argv` in a fresh `width`×`height` pane with exactly `env`. After the command ends the pane
 * shows `[exit N]` and stays open, so tests can read the exit code on screen.
 */
export async function startTerminal(argv: string[], opts: { cwd: string; env: Record<string, string>; width?: number; height?: number }): Promise<Terminal> {
  const socket = `mirror-test-${randomUUID().slice(0, 8)}`;
  const tmux = (...args: string[]) => execa('tmux', ['-L', socket, '-f', '/dev/null', ...args]);
  const env = Object.entries({ TERM: 'xterm-256color', ...opts.env }).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
  const command = `env -i ${env} ${argv.map(shellQuote).join(' ')}; echo "[exit $?]"; sleep 600`;
  await tmux('new-session', '-d', '-s', 'main', '-x', String(opts.width ?? 120), '-y', String(opts.height ?? 40), '-c', opts.cwd, command);
  const screen = async () => (await tmux('capture-pane', '-p', '-t', 'main')).stdout;
  return {
    screen,
    scrollback: async () => (await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main')).stdout,
    waitFor: async (expected, timeoutMs = 15_000) => {
      const until = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < until) {
        last = await screen();
        if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`terminal did not show ${String(expected)} within ${timeoutMs} ms; the screen was:\n${last}`);
    },
    keys: async (...keys) => { await tmux('send-keys', '-t', 'main', ...keys); },
    type: async (text) => { await tmux('send-keys', '-t', 'main', '-l', text); },
    resize: async (width, height) => { await tmux('resize-window', '-t', 'main', '-x', String(width), '-y', String(height)); },
    kill: async () => { await tmux('kill-server').catch(() => undefined); },
  };
}
