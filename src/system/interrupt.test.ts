/**
 * The interrupt handler in a child process: a second signal that arrives after the run is over
 * (handlers disposed, the process printing its summary) still exits with 130, never by the
 * default death-by-signal (which a shell or CI reports without mirror's exit code).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist/system/interrupt.js');

// The child installs the handler, waits for a first SIGINT, disposes (the run ended), says so,
// then stays alive until a second signal (or gives up after 5 s with exit 7).
const script = `
const { handleInterrupts } = await import(${JSON.stringify(dist)});
const interrupt = handleInterrupts();
interrupt.signal.addEventListener('abort', () => {
  interrupt.dispose();
  process.stdout.write('disposed\\n');
  setTimeout(() => process.exit(7), 5000);
});
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

function waitFor(child: ReturnType<typeof execa>, text: string): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => { seen += d.toString(); if (seen.includes(text)) resolve(); });
  });
}

describe('handleInterrupts', () => {
  it('a second SIGINT after the run was disposed still exits with 130', async () => {
    const child = execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
    await waitFor(child, 'ready');
    child.kill('SIGINT');
    await waitFor(child, 'disposed');
    child.kill('SIGINT');
    const r = await child;
    expect(r.signal).toBeUndefined();
    expect(r.exitCode).toBe(130);
  });

  it('without a signal, dispose restores the default: SIGINT ends the process by signal', async () => {
    const script2 = `
const { handleInterrupts } = await import(${JSON.stringify(dist)});
handleInterrupts().dispose();
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;
    const child = execa(process.execPath, ['--input-type=module', '-e', script2], { reject: false });
    await waitFor(child, 'ready');
    child.kill('SIGINT');
    const r = await child;
    expect(r.signal).toBe('SIGINT');
  });
});
