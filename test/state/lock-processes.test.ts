/**
 * The state lock between real processes (issue 20): several node processes, started together,
 * race for the same lock file and the same OCI lock tag (a real docker-registry). Exactly one wins;
 * the others fail naming the holder; the winner's lock is the one stored until it releases. The
 * children run the built dist/ (npm test builds first), as `mirror` itself does.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import { FileLocker } from '../../src/state/lock.js';
import { parseStateRef } from '../../src/state/oci-artifact.js';
import { OciLocker } from '../../src/state/oci-lock.js';
import type { Locker } from '../../src/state/types.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';

const DIST = pathToFileURL(path.resolve(import.meta.dirname, '../../dist')).href;

/** One contender: waits for the go file, tries once (no wait), holds a win until the done file. */
const CONTENDER = `
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
const [dist, kind, where, go, done, registryUrl] = process.argv.slice(1);
let locker;
let close = async () => undefined;
if (kind === 'file') {
  const { FileLocker } = await import(dist + '/state/lock.js');
  locker = new FileLocker(where, { pollMs: 20 });
} else {
  const { openOciBackend } = await import(dist + '/state/oci-backend.js');
  const backend = await openOciBackend({ registry: { url: registryUrl, insecure: true }, state: { backend: 'oci', path: '/unused', ref: where } },
    { env: { HOME: '/nonexistent' }, baseDir: '/', lock: { pollMs: 20, settleMs: 1000 } }); // the default settle delay
  ({ locker, close } = backend);
}
console.log('ready');
while (!existsSync(go)) await sleep(2);
try {
  const held = await locker.acquire('apply', { timeoutMs: 0 });
  console.log('won ' + held.info.id);
  while (!existsSync(done)) await sleep(5);
  await held.release();
} catch (error) {
  console.log(error.name + ' ' + (error.holder?.id ?? error.message));
}
await close();
`;

let registry: TestRegistry;
beforeAll(async () => { registry = await startRegistry(); });
afterAll(async () => { await registry?.stop(); });

/** Start `n` contenders for the lock at `where`, release them together, and collect what each said. */
async function race(n: number, kind: 'file' | 'oci', where: string, observer: Locker) {
  const dir = await mkdtemp(path.join(tmpdir(), 'mirror-race-'));
  const [go, done] = [path.join(dir, 'go'), path.join(dir, 'done')];
  const children: ResultPromise[] = [];
  const said: string[][] = [];
  for (let i = 0; i < n; i++) {
    const child = execa(process.execPath, ['--input-type=module', '-e', CONTENDER, DIST, kind, where, go, done, registry.url('mirror')], { reject: false });
    const lines: string[] = [];
    said.push(lines);
    child.stdout!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    children.push(child);
  }
  const until = Date.now() + 30_000;
  while (said.some((l) => !l.includes('ready')) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  await writeFile(go, '');
  // Everyone has answered once the losers have; the winner is still holding.
  while (said.flat().filter((l) => l !== 'ready').length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  const answers = said.map((l) => l.find((x) => x !== 'ready') ?? '');
  const held = await observer.current();
  await writeFile(done, '');
  const exits = await Promise.all(children);
  return { answers, held, exits, after: await observer.current() };
}

describe('the state lock between processes', () => {
  it('of four processes racing for one lock file, exactly one wins and the others are told who holds it', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'mirror-race-state-')), 'state.json');
    const { answers, held, exits, after } = await race(4, 'file', file, new FileLocker(file));
    const won = answers.filter((a) => a.startsWith('won '));
    expect(won, answers.join('\n')).toHaveLength(1);
    const id = won[0].slice(4);
    // A loser that looked in the instant between the winner's exclusive create and its write saw
    // the lock being written: held as unreadable, which is just as refused.
    expect(answers.filter((a) => a === `LockedError ${id}` || a === 'LockedError unreadable'), answers.join('\n')).toHaveLength(3);
    expect(held?.id).toBe(id);
    expect(exits.map((e) => e.exitCode)).toEqual([0, 0, 0, 0]);
    expect(after).toBeUndefined();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('of three processes racing for one OCI lock tag, exactly one wins (last writer after the settle delay)', async () => {
    const ref = `${registry.host}/mirror/race-state:main`;
    const { settings, image, tag } = parseStateRef(ref, { url: registry.url('mirror'), insecure: true });
    const client = createRegistryBackend(settings, { env: { HOME: '/nonexistent' } });
    try {
      const { answers, held, exits, after } = await race(3, 'oci', ref, new OciLocker({ registry: client, image, tag, location: ref }));
      const won = answers.filter((a) => a.startsWith('won '));
      expect(won, answers.join('\n')).toHaveLength(1);
      const id = won[0].slice(4);
      // Each loser is refused. Under load a loser may name another contender whose write it saw
      // before the winner's landed (a registry has no compare-and-swap; the settle delay decides).
      expect(answers.filter((a) => a.startsWith('LockedError ')), answers.join('\n')).toHaveLength(2);
      expect(held?.id).toBe(id);
      expect(exits.map((e) => e.exitCode)).toEqual([0, 0, 0]);
      expect(after).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});
