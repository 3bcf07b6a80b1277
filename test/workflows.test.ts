/**
 * The shipped GitHub workflows: valid against the GitHub workflow schema (action-validator), and
 * every `mirror …` they run names a command and flags that exist in the built oclif manifest, so
 * a renamed flag breaks this test instead of the cron job.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mirror, ROOT } from './e2e/cli.js';
import { evaluate, interpolate } from './rig/gh-expr.js';
import { startSeedWorld, type SeedWorld } from './rig/world.js';

const DIR = path.join(ROOT, '.github/workflows');

interface Manifest { commands: Record<string, { flags: Record<string, { char?: string }> }> }

/** Words of a shell command line up to the first redirection or separator (quotes respected). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"[^"]*"|'[^']*'|[^\s"']+/g)) {
    if (/^(>|>>|\||;|&&|\|\||2>.*)$/.test(m[0])) break;
    out.push(m[0]);
  }
  return out;
}

/** Every `mirror ARGS` in a workflow's run scripts. */
function invocations(workflow: any): string[][] {
  const found: string[][] = [];
  for (const job of Object.values<any>(workflow.jobs ?? {})) {
    for (const step of job.steps ?? []) {
      if (typeof step.run !== 'string') continue;
      for (const m of step.run.matchAll(/(?:^|[\s;&|(])mirror\s+([^\n]*)/gm)) found.push(words(m[1]));
    }
  }
  return found;
}

describe('.github/workflows', async () => {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.yml')).sort();
  const manifest = JSON.parse(await readFile(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest;

  it('ships ci, plan, mirror and mutation workflows', () => {
    expect(files).toEqual(['ci.yml', 'mirror.yml', 'mutation.yml', 'plan.yml']);
  });

  it('the validator does reject a broken workflow (so the checks below can fail)', () => {
    expect(validateWorkflow('on: push\njobs:\n  x:\n    steps: 3\n').errors.length).toBeGreaterThan(0);
  });

  it.each(files)('%s is a valid GitHub workflow', async (file) => {
    const state = validateWorkflow(await readFile(path.join(DIR, file), 'utf8'));
    expect(state.errors).toEqual([]);
  });

  it('every mirror invocation uses a command and flags that exist', async () => {
    const seen: string[] = [];
    for (const file of files) {
      for (const args of invocations(parse(await readFile(path.join(DIR, file), 'utf8')))) {
        let id = '';
        let rest = args;
        const ids = Object.keys(manifest.commands);
        while (rest.length > 0) {
          const next = id ? `${id}:${rest[0]}` : rest[0];
          if (!ids.some((k) => k === next || k.startsWith(`${next}:`))) break;
          id = next;
          rest = rest.slice(1);
        }
        expect(manifest.commands[id], `${file}: mirror ${args.join(' ')} is not a command`).toBeDefined();
        const flags = manifest.commands[id].flags;
        for (const word of rest.filter((w) => w.startsWith('-'))) {
          const name = word.replace(/^--?/, '').split('=')[0];
          const known = word.startsWith('--') ? name in flags : Object.values(flags).some((f) => f.char === name);
          expect(known, `${file}: mirror ${args.join(' ')}: unknown flag ${word} for ${id.replace(/:/g, ' ')}`).toBe(true);
        }
        seen.push(id);
      }
    }
    // The flow is all there: validate and plan in review; plan, matrix, build, merge, publish, verify on cron
    expect(new Set(seen)).toEqual(new Set(['validate', 'plan', 'matrix', 'apply', 'state:merge', 'verify']));
  });

  it('the cron workflow keeps the safety rails: concurrency group, least privilege, native runners, fail-fast off', async () => {
    const wf = parse(await readFile(path.join(DIR, 'mirror.yml'), 'utf8'));
    expect(wf.on.schedule).toEqual([{ cron: '0 */6 * * *' }]);
    // Issue 17: app, version and dry-run added; NAMESPACE removed (it moved cron off the config's registry path)
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toEqual(['app', 'version', 'dry-run', 'REGISTRY', 'MULTI_ARCH', 'USE_QEMU', 'MAX_VERSIONS']);
    expect(wf.concurrency).toEqual({ group: 'mirror-state', 'cancel-in-progress': false });
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.build.strategy['fail-fast']).toBe(false);
    expect(wf.jobs.build['runs-on']).toBe('${{ matrix.runner }}');
    // id-token (signing) only where attestation happens
    const withIdToken = Object.entries<any>(wf.jobs).filter(([, j]) => j.permissions?.['id-token'] === 'write').map(([n]) => n);
    expect(withIdToken).toEqual(['publish']);
    // A job may build several addresses (a plan over 256 builds is packed): fragments are named per job, not per entry
    const buildStep = wf.jobs.build.steps.find((s: any) => typeof s.run === 'string' && s.run.startsWith('mirror apply'));
    expect(buildStep.env.FRAGMENT).toBe('fragment-${{ strategy.job-index }}.json');
  });
});

/** Every job of a workflow with its name. */
const jobsOf = (wf: any) => Object.entries<any>(wf.jobs ?? {});
const TOKEN = /secrets\.|github\.token/;

describe('.github/workflows: supply chain and least privilege', async () => {
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.yml')).sort();
  const read = async (file: string) => readFile(path.join(DIR, file), 'utf8');

  it.each(files)('%s pins every action by full commit SHA, with its version in a comment', async (file) => {
    const uses = (await read(file)).split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line, `${file}: ${line.trim()}`).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
  });

  it.each(files)('%s: every job has timeout-minutes and uses Node 24', async (file) => {
    const wf = parse(await read(file));
    for (const [name, job] of jobsOf(wf)) {
      expect(job['timeout-minutes'], `${file}: job ${name}`).toBeGreaterThan(0);
      for (const step of job.steps ?? []) if (String(step.uses).startsWith('actions/setup-node@')) expect(step.with['node-version'], `${file}: ${name}`).toBe(24);
    }
  });

  it.each(files)('%s gives tokens only to the steps that use them (never workflow- or job-wide, never to npm)', async (file) => {
    const wf = parse(await read(file));
    expect(JSON.stringify(wf.env ?? {}), `${file}: workflow env`).not.toMatch(TOKEN);
    for (const [name, job] of jobsOf(wf)) {
      expect(JSON.stringify(job.env ?? {}), `${file}: job ${name} env`).not.toMatch(TOKEN);
      for (const step of job.steps ?? []) {
        if (typeof step.run === 'string' && /\bnpm\b/.test(step.run)) expect(JSON.stringify(step.env ?? {}), `${file}: ${name}: ${step.name ?? step.run}`).not.toMatch(TOKEN);
      }
    }
  });
});

describe('.github/workflows publish where the config says', () => {
  let world: SeedWorld;
  beforeAll(async () => {
    world = await startSeedWorld();
    const { mattermost } = world.config.apps;
    await world.writeConfig({ ...world.config, defaults: { ...world.config.defaults, maxVersions: 2 }, apps: { mattermost } });
  }, 60_000);
  afterAll(async () => { await world?.stop(); });

  /** The environment the workflow gives the step that runs `mirror plan`, for an event. */
  async function planStepEnv(file: string, context: Record<string, unknown>) {
    const wf = parse(await readFile(path.join(DIR, file), 'utf8'));
    const job = wf.jobs.plan;
    const step = job.steps.find((s: any) => typeof s.run === 'string' && /mirror plan /.test(s.run));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...wf.env, ...job.env, ...step.env })) env[k] = interpolate(String(v), context);
    return { wf, env };
  }
  const github = (event: string) => ({ event_name: event, repository_owner: 'this-is-tobi', actor: 'mirror-bot', server_url: 'https://github.com', run_id: '1' });
  const contextFor = (event: string, inputs: Record<string, unknown> = {}) => ({ github: github(event), inputs, secrets: { GITHUB_TOKEN: 'ghs_test' } });
  const plan = async (env: Record<string, string>) => {
    const r = await mirror(['plan', '--json'], { cwd: world.dir, env });
    expect(r.exitCode, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it.each([['mirror.yml', 'schedule'], ['plan.yml', 'pull_request']])('%s (%s) plans against exactly registry.url of the config', async (file, event) => {
    const { env } = await planStepEnv(file, contextFor(event));
    expect((await plan(env)).registry).toBe(world.config.registry.url);
  });

  it('a dispatch maps app, version and REGISTRY to --target and the registry; dry-run publishes nothing', async () => {
    const other = `${world.registry.host}/elsewhere`;
    const inputs = { app: 'mattermost', version: '10.4.0', 'dry-run': true, REGISTRY: other, MULTI_ARCH: true, USE_QEMU: false, MAX_VERSIONS: '' };
    const { wf, env } = await planStepEnv('mirror.yml', contextFor('workflow_dispatch', inputs));
    expect(env.MIRROR_TARGET).toBe('mattermost@10.4.0');
    const p = await plan(env);
    expect(p.registry).toBe(other);
    expect(new Set(p.actions.map((a: any) => a.version))).toEqual(new Set(['10.4.0']));
    // dry-run: no matrix, so no build jobs, and no publish
    const ctx = contextFor('workflow_dispatch', inputs);
    const matrixStep = wf.jobs.plan.steps.find((s: any) => s.id === 'matrix');
    expect(evaluate(matrixStep.if.replace(/^\$\{\{|\}\}$/g, ''), ctx)).toBe(false);
    expect(evaluate(wf.jobs.publish.if, { ...ctx, needs: { plan: { result: 'success' }, build: { result: 'skipped' } }})).toBe(false);
    expect(evaluate(wf.jobs.publish.if, { ...contextFor('schedule'), needs: { plan: { result: 'success' }, build: { result: 'skipped' } } })).toBe(true);
    // Only the app: --target APP
    expect((await planStepEnv('mirror.yml', contextFor('workflow_dispatch', { ...inputs, version: '' }))).env.MIRROR_TARGET).toBe('mattermost');
  });
});

describe('.github/workflows/plan.yml: the PR comment', () => {
  /** Run the comment step's script (actions/github-script's `script`) against a recording GitHub client. */
  async function postComment(planMd: string, existing: Array<{ id: number; user: { type: string }; body: string }>) {
    const wf = parse(await readFile(path.join(DIR, 'plan.yml'), 'utf8'));
    const step = wf.jobs.plan.steps.find((s: any) => String(s.uses).startsWith('actions/github-script@'));
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-comment-'));
    const calls: Array<[string, any]> = [];
    const github = {
      paginate: async () => existing,
      rest: { issues: {
        listComments: {},
        updateComment: async (a: any) => { calls.push(['update', a]); },
        createComment: async (a: any) => { calls.push(['create', a]); },
      } },
    };
    const context = { serverUrl: 'https://github.com', runId: 7, repo: { owner: 'acme', repo: 'mirror' }, issue: { number: 3 } };
    const cwd = process.cwd();
    try {
      await writeFile(path.join(dir, 'plan.md'), planMd);
      process.chdir(dir);
      const script = new Function('require', 'context', 'github', `return (async () => {\n${step.with.script}\n})();`);
      await script(createRequire(import.meta.url), context, github);
    } finally {
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
    }
    return calls;
  }

  it('a plan longer than GitHub allows is cut at a line under 65,536 characters, pointing to the run', async () => {
    const line = `| + | build | mattermost@10.4.1/linux/arm64 | missing in registry |\n`;
    const calls = await postComment(line.repeat(3000), []);
    expect(calls).toHaveLength(1);
    const [kind, args] = calls[0];
    expect(kind).toBe('create');
    expect(args.body.length).toBeLessThanOrEqual(65536);
    expect(args.body.startsWith('<!-- mirror-plan -->\n| + | build |')).toBe(true);
    expect(args.body).toMatch(/\|\n\n… plan cut to fit a comment: the whole plan is in the \[run summary and its plan artifact\]\(https:\/\/github\.com\/acme\/mirror\/actions\/runs\/7\)\.\n$/);
  });

  it('one sticky comment: the bot comment with the marker is updated, a short plan is posted whole', async () => {
    const calls = await postComment('Plan: 1 build.\n', [{ id: 1, user: { type: 'User' }, body: '<!-- mirror-plan -->\nnot ours' }, { id: 2, user: { type: 'Bot' }, body: '<!-- mirror-plan -->\nold' }]);
    expect(calls).toEqual([['update', { owner: 'acme', repo: 'mirror', comment_id: 2, body: '<!-- mirror-plan -->\nPlan: 1 build.\n' }]]);
  });

  it('the mutation workflow runs weekly and on demand only, SHA-pinned, and writes the score to the step summary', async () => {
    const wf = parse(await readFile(path.join(DIR, 'mutation.yml'), 'utf8'));
    // never on push or PR: it takes tens of minutes and is not part of .ci/run
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(wf.on.schedule).toHaveLength(1);
    expect(wf.permissions).toEqual({ contents: 'read' });
    const job = wf.jobs.mutation;
    expect(job['timeout-minutes']).toBeGreaterThan(0);
    const uses = job.steps.filter((s: any) => s.uses).map((s: any) => s.uses as string);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u, `${u} is not pinned by full commit SHA`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
    // every pin carries its version in a comment, so a reader and dependabot know what it is
    const text = await readFile(path.join(DIR, 'mutation.yml'), 'utf8');
    for (const u of uses) expect(text).toMatch(new RegExp(`${u.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} # v\\d`));
    const runs = job.steps.map((s: any) => s.run ?? '').join('\n');
    expect(runs).toContain('npm run test:mutation');
    // the score script is what writes the summary, and the npm script ends with it
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['test:mutation']).toMatch(/stryker run && node scripts\/mutation-score\.mjs$/);
    expect(await readFile(path.join(ROOT, 'scripts/mutation-score.mjs'), 'utf8')).toContain('GITHUB_STEP_SUMMARY');
    // and the incremental file survives between runs through the cache
    const cache = job.steps.find((s: any) => String(s.uses).startsWith('actions/cache@'));
    expect(cache.with.path).toBe('reports/stryker-incremental.json');
  });
});
