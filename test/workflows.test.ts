/**
 * The shipped GitHub workflows: valid against the GitHub workflow schema (action-validator), and
 * every `mirror …` they run names a command and flags that exist in the built oclif manifest, so
 * a renamed flag breaks this test instead of the cron job.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './e2e/cli.js';

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
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toEqual(['REGISTRY', 'NAMESPACE', 'MULTI_ARCH', 'USE_QEMU', 'MAX_VERSIONS']);
    expect(wf.concurrency).toEqual({ group: 'mirror-state', 'cancel-in-progress': false });
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.build.strategy['fail-fast']).toBe(false);
    expect(wf.jobs.build['runs-on']).toBe('${{ matrix.runner }}');
    // id-token (signing) only where attestation happens
    const withIdToken = Object.entries<any>(wf.jobs).filter(([, j]) => j.permissions?.['id-token'] === 'write').map(([n]) => n);
    expect(withIdToken).toEqual(['publish']);
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
