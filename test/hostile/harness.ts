/**
 * The hostile corpus's shared rig: one real registry and one upstream emulator for every row, and
 * per row its own directory (cwd, config, state), its own app and upstream repository, so rows
 * never see each other. After every row the same invariants are checked: nothing executed (the
 * canary a shell injection would create is absent), nothing published (the registry's catalog and
 * tags are byte-identical), nothing lost (the state file unchanged, or a valid successor).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { MirrorConfig } from '../../src/config/schema.js';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import type { RegistryBackend } from '../../src/providers/registry/types.js';
import { parseState } from '../../src/state/file-store.js';
import { mirror, type CliResult } from '../e2e/cli.js';
import { createGitRepo, type FixtureRepo } from '../rig/git.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../rig/upstream.js';

/** What a row expects of the CLI: a clean error, or success that skipped something with a warning. */
export type Outcome =
  | { error: RegExp; stderrHasNot?: (string | RegExp)[] }
  | { warning?: RegExp; window?: string[]; stderrHasNot?: (string | RegExp)[] };

/** One case of the corpus. */
export interface Row {
  name: string;
  /** Prepare the row (config tweaks, upstream answers, files); may run the CLI. */
  setup?: (ctx: RowContext) => Promise<void> | void;
  /** The command under test (`plan --json` by default). */
  command?: string[] | ((ctx: RowContext) => string[]);
  env?: Record<string, string>;
  expect: Outcome;
  /** The row's command may write the state (then it must be a valid successor of the old one). */
  mayWriteState?: boolean;
}

/** The world shared by all rows. */
export interface Corpus {
  registry: TestRegistry;
  upstream: UpstreamEmulator;
  backend: RegistryBackend;
  /** A git repository with tags v1.0.0 and v2.0.0 (clones of it fail only for hostile refs). */
  repo: FixtureRepo;
  root: string;
  stop(): Promise<void>;
}

/** What a row's setup sees. */
export interface RowContext {
  corpus: Corpus;
  dir: string;
  /** App and image name of this row (`h12`), repository `hostile/h12` upstream. */
  app: string;
  repository: string;
  config: MirrorConfig;
  /** Absolute path a shell injection in this row would create. */
  canary: string;
  statePath: string;
  write(file: string, content: string | Buffer): Promise<string>;
  /** A check (and cleanup) to run after the command, e.g. "the other host saw no credentials". */
  afterwards(check: () => Promise<void>): void;
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
}

/** Start the shared world. */
export async function startCorpus(): Promise<Corpus> {
  const [registry, upstream] = await Promise.all([startRegistry(), startUpstreamEmulator()]);
  const root = await mkdtemp(path.join(tmpdir(), 'mirror-hostile-'));
  const repo = await createGitRepo(path.join(root, 'git', 'app'), { files: { Dockerfile: 'FROM scratch\n' }, tags: ['v1.0.0', 'v2.0.0'] });
  const backend = createRegistryBackend({ url: registry.url('hostile'), insecure: true }, { env: {} });
  return {
    registry, upstream, backend, repo, root,
    stop: async () => {
      await backend.close();
      await Promise.all([registry.stop(), upstream.stop()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A row's config: one single-platform app, no attestation, upstream on the emulator. */
function baseConfig(corpus: Corpus, app: string, repository: string): MirrorConfig {
  return {
    registry: { url: corpus.registry.url('hostile'), insecure: true },
    state: { path: '.mirror/state.json' },
    defaults: { maxVersions: 3, platforms: ['linux/amd64'], floatingTags: ['latest'], attest: { sbom: false, provenance: false, sign: false } },
    apps: {
      [app]: {
        upstream: { type: 'github-releases', repository, apiUrl: corpus.upstream.url },
        source: { git: corpus.repo.url, ref: 'v{version}' },
      },
    },
  };
}

/** Everything the registry holds (catalog and each repository's tags), as comparable text. */
export async function registrySnapshot(registry: TestRegistry): Promise<string> {
  const catalog = (await (await fetch(`http://${registry.host}/v2/_catalog?n=10000`)).json()) as { repositories?: string[] };
  const repos = (catalog.repositories ?? []).sort();
  const tags = await Promise.all(repos.map(async (r) => {
    const res = await fetch(`http://${registry.host}/v2/${r}/tags/list`);
    const body = (await res.json()) as { tags?: string[] | null };
    return [r, (body.tags ?? []).sort()];
  }));
  return JSON.stringify(tags);
}

/** The state file's bytes; a directory where the file should be is compared as such. */
const readOrUndefined = async (file: string) => {
  if (!existsSync(file)) return undefined;
  return (await stat(file)).isDirectory() ? Buffer.from('<a directory>') : readFile(file);
};

let counter = 0;

/** Run one row and check its outcome and the invariants. */
export async function runRow(corpus: Corpus, row: Row): Promise<void> {
  counter += 1;
  const app = `h${counter}`;
  const repository = `hostile/${app}`;
  const dir = path.join(corpus.root, app);
  await mkdir(dir, { recursive: true });
  const configPath = path.join(dir, 'mirror.config.json');
  const checks: (() => Promise<void>)[] = [];
  const ctx: RowContext = {
    corpus, dir, app, repository,
    config: baseConfig(corpus, app, repository),
    canary: path.join(dir, 'pwned'),
    statePath: path.join(dir, '.mirror', 'state.json'),
    write: async (file, content) => {
      const abs = path.resolve(dir, file);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, content);
      return abs;
    },
    afterwards: (check) => { checks.push(check); },
    run: async (args, env = {}) => {
      await writeFile(configPath, JSON.stringify(ctx.config, null, 2));
      return mirror(args, { cwd: dir, env: { MIRROR_RETRY_BASE_MS: '1', ...env } });
    },
  };
  corpus.upstream.github.setReleases(repository, [{ tag_name: 'v1.0.0' }]);
  await row.setup?.(ctx);
  await writeFile(configPath, JSON.stringify(ctx.config, null, 2));

  // Given: what exists before the command
  const registryBefore = await registrySnapshot(corpus.registry);
  const stateBefore = await readOrUndefined(ctx.statePath);

  // When: the command under test runs
  const command = typeof row.command === 'function' ? row.command(ctx) : (row.command ?? ['plan', '--json']);
  const r = await mirror(command, { cwd: dir, env: { MIRROR_RETRY_BASE_MS: '1', ...row.env } });
  const shown = `${row.name}\n$ mirror ${command.join(' ')}\nexit ${r.exitCode}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;

  for (const check of checks) await check();

  // Then: the expected outcome
  const outcome = row.expect;
  if ('error' in outcome) {
    expect(r.exitCode, shown).toBe(1);
    // Command errors are on stderr; a failed apply action is reported in the run's summary.
    expect(r.stderr + r.stdout, shown).toMatch(outcome.error);
    expect(r.stderr + r.stdout, shown).not.toMatch(/\n\s+at /); // no stack trace
  } else {
    expect(r.exitCode, shown).toBe(0);
    if (outcome.warning) expect(r.stderr, shown).toMatch(outcome.warning);
    if (outcome.window) {
      const plan = JSON.parse(r.stdout) as { apps: { name: string; window: string[] }[] };
      expect(plan.apps.find((a) => a.name === app)?.window, shown).toEqual(outcome.window);
    }
  }
  for (const bad of outcome.stderrHasNot ?? []) {
    if (typeof bad === 'string') expect(r.stderr.includes(bad) || r.stdout.includes(bad), `${shown}\nmust not print ${JSON.stringify(bad)}`).toBe(false);
    else expect(r.stderr + r.stdout, shown).not.toMatch(bad);
  }
  // Errors and warnings stay readable whatever the input's size (a 1 MB tag is not echoed back).
  expect(r.stderr.length, shown).toBeLessThan(20_000);

  // And: nothing executed, nothing published, nothing lost
  expect(existsSync(ctx.canary), `${shown}\ncanary ${ctx.canary} exists: something ran a shell`).toBe(false);
  expect(await registrySnapshot(corpus.registry), shown).toBe(registryBefore);
  const stateAfter = await readOrUndefined(ctx.statePath);
  if (row.mayWriteState && stateAfter && !stateAfter.equals(stateBefore ?? Buffer.alloc(0))) {
    const after = parseState(stateAfter.toString(), ctx.statePath);
    if (stateBefore) {
      const before = parseState(stateBefore.toString(), ctx.statePath);
      expect(after.lineage, shown).toBe(before.lineage);
      expect(after.serial, shown).toBeGreaterThan(before.serial);
    }
  } else {
    expect(stateAfter?.toString(), shown).toBe(stateBefore?.toString());
  }
}

/** A loopback HTTP server answering with `handler`, recording every request's method, path and Authorization. */
export interface ScriptedServer {
  url: string;
  host: string;
  seen: { method: string; url: string; authorization?: string; cookie?: string }[];
  stop(): Promise<void>;
}

/** Start a scripted server. */
export async function startScripted(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<ScriptedServer> {
  const seen: ScriptedServer['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(req.headers.cookie ? { cookie: req.headers.cookie } : {}) });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}`, host, seen,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
