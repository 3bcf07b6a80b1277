/**
 * The CLI runs its commands from the esbuild bundle (scripts/bundle-cli.mjs → dist/bundle/), not
 * from tsc's per-file dist/commands/, and `mirror plan` starts with only what it needs. Read from
 * the built files (`npm run build` runs before the tests); what a real run resolves is checked in
 * e2e/startup.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourcesOf, startupGraph } from './rig/bundle-graph.js';
import { ROOT } from './e2e/cli.js';

const BUNDLE = path.join(ROOT, 'dist/bundle');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { oclif: { commands: string } };
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { relativePath: string[] }> };

/** src/commands/**.ts relative to src/commands, without the extension: 'plan', 'state/list', … */
function commandFiles(dir = path.join(ROOT, 'src/commands'), prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return commandFiles(path.join(dir, e.name), `${prefix}${e.name}/`);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [`${prefix}${e.name.slice(0, -3)}`] : [];
  });
}
const COMMANDS = commandFiles().sort();

/** Packages a command may leave to node_modules (the build's list; scripts/bundle-cli.mjs says why), and Node's builtins. */
const externals = JSON.parse(readFileSync(path.join(ROOT, 'scripts/bundle-externals.json'), 'utf8')) as string[];
const EXTERNAL = new RegExp(`^(node:.+|${externals.map((e) => e.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('/*', '/.+')).join('|')})$`);
/** What plan has no use for when it starts: the terminal UI, signing, builds, apply, preflight, the config transpilers. */
const NOT_AT_PLAN_START = /^(dist\/(ui\/ink\/|apply\/|services\/(apply|preflight|verify|import)\.js|providers\/builder\/|providers\/attest\/(signer|verify-bundle|sbom)\.js)|node_modules\/(ink|react|react-reconciler|yoga-layout|@sigstore\/[^/]+|sigstore|execa|jiti|sucrase|undici)\/)/;

describe('the CLI bundle', () => {
  it('is what oclif loads: package.json names it, and the manifest points every command of src/commands at its bundled file', () => {
    expect(pkg.oclif.commands).toBe('./dist/bundle/commands');
    expect(Object.keys(manifest.commands).sort()).toEqual(COMMANDS.map((c) => c.replace('/', ':')));
    for (const command of COMMANDS) {
      const file = manifest.commands[command.replace('/', ':')].relativePath.join('/');
      expect(file).toBe(`dist/bundle/commands/${command}.js`);
      expect(existsSync(path.join(ROOT, file)), file).toBe(true);
    }
  });

  it('every command starts from files inside dist/bundle and the packages left to node_modules, and holds its own source', () => {
    for (const command of COMMANDS) {
      const graph = startupGraph(path.join(BUNDLE, 'commands', `${command}.js`));
      expect(graph.missing, command).toEqual([]);
      expect(graph.files.filter((f) => !f.startsWith(BUNDLE + path.sep)), command).toEqual([]);
      expect(graph.external.filter((e) => !EXTERNAL.test(e)), command).toEqual([]);
      // The bundle is built from tsc's output of this command, not from a copy of it
      expect(graph.files.flatMap(sourcesOf), command).toContain(`dist/commands/${command}.js`);
    }
  });

  it('plan starts without Ink, React, sigstore, execa, jiti, the apply code or preflight: those are lazy chunks', () => {
    const graph = startupGraph(path.join(BUNDLE, 'commands/plan.js'));
    const sources = graph.files.flatMap(sourcesOf);
    // (the source comments are there to read: the planner and the packages plan needs are in the bundle)
    expect(sources).toEqual(expect.arrayContaining(['dist/services/plan.js', 'dist/config/schema.js']));
    expect(sources.some((s) => s.startsWith('node_modules/zod/'))).toBe(true);
    // Of zod's locales only English, the one it uses (the bundle script cuts z.locales to it)
    expect(sources.filter((s) => s.startsWith('node_modules/zod/v4/locales/')).sort()).toEqual(['node_modules/zod/v4/locales/en.js', 'node_modules/zod/v4/locales/index.js']);
    expect(graph.external.filter((e) => !e.startsWith('node:'))).toEqual(['@oclif/core']);
    expect([...new Set(sources.filter((s) => NOT_AT_PLAN_START.test(s)))]).toEqual([]);
    // And what plan imports with `await import(…)` is still there, in chunks of its own
    const lazy = graph.lazy.map(sourcesOf);
    expect(lazy.some((s) => s.includes('dist/services/preflight.js'))).toBe(true);
    expect(lazy.some((s) => s.includes('dist/ui/ink/tty.js'))).toBe(true);
    expect(graph.lazyExternal).toEqual(expect.arrayContaining(['jiti']));
  });

  it('apply reaches Ink only lazily, and sigstore never at its start', () => {
    // (the same split for the command that does use them; apply signs through a lazy chunk too)
    const graph = startupGraph(path.join(BUNDLE, 'commands/apply.js'));
    const sources = graph.files.flatMap(sourcesOf);
    expect(sources).toContain('dist/services/apply.js');
    expect(sources.filter((s) => /^dist\/ui\/ink\//.test(s))).toEqual([]);
    expect(graph.external.filter((e) => /^(ink|react|@sigstore\/)/.test(e))).toEqual([]);
  });
});
