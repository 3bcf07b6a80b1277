/**
 * A real registry for tests: Debian's `docker-registry` (CNCF Distribution 2.8) on a free
 * loopback port, temp storage, deletes enabled, optionally behind htpasswd (bcrypt) auth.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';

const BINARY = '/usr/bin/docker-registry';

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** `registry.url` for a namespace. */
  url(namespace?: string): string;
  storage: string;
  /** The docker-registry process (bench/plan reads its CPU time). */
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Header each rig registry answers with, its value unique to that registry (see waitReady). */
const MARK = 'X-Mirror-Test-Registry';

/** GET /v2/ over https without verifying (the rig's own certificate), or over http: status and our mark. */
function status(host: string, tls: boolean): Promise<{ code: number; mark?: string }> {
  if (!tls) return fetch(`http://${host}/v2/`).then((r) => ({ code: r.status, mark: r.headers.get(MARK) ?? undefined }));
  return new Promise((resolve, reject) => {
    httpsGet(`https://${host}/v2/`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve({ code: res.statusCode ?? 0, mark: [res.headers[MARK.toLowerCase()]].flat()[0] });
    }).on('error', reject);
  });
}

/**
 * Ready once this child answers. The port was free when picked, but another suite's registry
 * starting at the same moment may take it first: its answer (without our mark) is not ours, or an
 * auth test would talk to a registry without auth and pass wrong credentials.
 */
async function waitReady(host: string, child: ChildProcess, log: () => string, tls: boolean, mark: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    try {
      const answer = await status(host, tls);
      if ((answer.code === 200 || answer.code === 401) && answer.mark === mark) return;
      if (answer.mark !== mark) throw new Error(`another server answers on ${host}: address already in use`);
    } catch (error) {
      if (/address already in use/.test(String(error))) throw error;
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on ${host}: ${log()}`);
}

/** Start a registry; with `auth`, only those credentials are accepted (Basic challenge); with `tls`, HTTPS with that certificate. */
export async function startRegistry(opts: { auth?: { username: string; password: string }; tls?: { certificate: string; key: string } } = {}): Promise<TestRegistry> {
  if (!existsSync(BINARY)) throw new Error('docker-registry is not installed: apt-get install docker-registry (or run npm test, which installs it)');
  const dir = await mkdtemp(path.join(tmpdir(), 'mirror-registry-'));
  const storage = path.join(dir, 'storage');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const mark = randomUUID();
    const lines = [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(storage)} }, delete: { enabled: true }, cache: { blobdescriptor: inmemory } }`,
      `http: { addr: ${JSON.stringify(host)}, secret: mirror-test-secret, headers: { ${MARK}: [${mark}] }${opts.tls ? `, tls: { certificate: ${JSON.stringify(opts.tls.certificate)}, key: ${JSON.stringify(opts.tls.key)} }` : ''} }`,
    ];
    if (opts.auth) {
      const htpasswd = path.join(dir, 'htpasswd');
      await writeFile(htpasswd, `${opts.auth.username}:${bcrypt.hashSync(opts.auth.password, 5)}\n`);
      lines.push(`auth: { htpasswd: { realm: mirror-test, path: ${JSON.stringify(htpasswd)} } }`);
    }
    const config = path.join(dir, 'config.yml');
    await writeFile(config, `${lines.join('\n')}\n`);
    let output = '';
    const child = spawn(BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => { output += d; });
    child.stderr?.on('data', (d) => { output += d; });
    try {
      await waitReady(host, child, () => output.slice(-500), Boolean(opts.tls), mark);
    } catch (error) {
      child.kill('SIGKILL');
      if (attempt < 2 && /address already in use/.test(`${output} ${String(error)}`)) continue;
      throw error;
    }
    return {
      host,
      url: (namespace = 'mirror') => `${host}/${namespace}`,
      storage,
      pid: child.pid ?? 0,
      stop: async () => {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}
