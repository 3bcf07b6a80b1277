#!/usr/bin/env node
// The commands the CLI runs, bundled with esbuild from tsc's output (dist/commands/**) into
// dist/bundle/: one file per command under dist/bundle/commands/ (what package.json
// `oclif.commands` names, so oclif and its manifest load these) and the code they share, and what
// they import lazily (`await import(…)`), as chunks under dist/bundle/chunks/.
// Why: loading dist/commands/plan.js file by file costs Node's ESM loader ~85 ms (resolving,
// stat-ing, reading and compiling ~150 files and the CommonJS packages through cjs-module-lexer);
// the bundle loads in ~55 ms (bench/README.md, "CLI bundle"). dist/ itself stays as tsc writes it:
// the package's main (dist/index.js), its types, and the tests and benchmarks that import
// dist/services/*.js directly use it.
// Run by `npm run build` after tsc and before `oclif manifest`; `node scripts/bundle-cli.mjs`.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const commands = path.join(root, 'dist/commands');
const outdir = path.join(root, 'dist/bundle');

/**
 * Left out of the bundle (scripts/bundle-externals.json, which test/bundle.test.ts reads too),
 * imported from node_modules at run time as before:
 * - @oclif/*: the commands extend its Command and its plugins load their own copy; one instance.
 * - ink, react (and react/jsx-runtime), yoga-layout: Ink loads only where it renders, and React must
 *   be the one instance Ink's reconciler uses.
 * - @sigstore/*: loaded only to sign or verify; its TUF client reads its own files by path.
 * - jiti, sucrase: jiti loads its own files by path (Babel transpiler, loaders); config/load.ts
 *   requires sucrase by name inside jiti's transform.
 * - undici: system/undici.ts requires its files by deep path through createRequire, which esbuild
 *   does not follow, so those resolve from node_modules wherever the chunk is; listing it here
 *   keeps the one `import('undici')` (keyless signing's fetch) the same instance.
 */
const EXTERNAL = JSON.parse(readFileSync(path.join(root, 'scripts/bundle-externals.json'), 'utf8'));

/** Every .js file under dir. */
function entries(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return entries(full);
    return e.name.endsWith('.js') ? [full] : [];
  });
}

/**
 * zod's `z` namespace re-exports every locale (`z.locales`: ~50 files, half of zod's bytes), so the
 * bundle would compile them all on every start; zod itself uses English (`config(en())`) and mirror
 * sets no other. The locales' index is cut to English: ~6 ms less to load plan. (If zod moves the
 * file, the filter matches nothing and the bundle is only bigger.)
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: "export { default as en } from './en.js';\n", loader: 'js' }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: entries(commands),
  outdir,
  outbase: commands,
  entryNames: 'commands/[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  // Shared code and every dynamic import become chunks: a command loads only what it imports
  // statically, and `await import(…)` (Ink, preflight, the renderers) stays lazy.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // The CommonJS packages bundled (semver, …) require Node's builtins; an ESM file has no
  // `require`, so each output file gets one (esbuild's __require calls it).
  banner: { js: "import { createRequire as __mirrorCreateRequire } from 'node:module'; const require = __mirrorCreateRequire(import.meta.url);" },
  // Not keepNames (~10 ms of CPU at start-up, mostly zod's functions): see renamedErrors below.
  metafile: true,
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
});
// A warning (a require esbuild cannot follow, a missing export) is a bundle that may break at run time.
if (result.warnings.length > 0) {
  console.error(`bundle-cli: ${result.warnings.length} warning(s) above; fix them (or list the package in scripts/bundle-externals.json, with its reason in the comment above EXTERNAL).`);
  process.exit(1);
}

/**
 * Our error classes whose `.name` the bundle changed: they set `this.name = new.target.name`, and
 * esbuild renames a class that clashes with another in the same chunk (`var AbortError2 = class …`)
 * or binds it under an inner name (`var X = class _X`, for a class that refers to itself), so the
 * name messages show would change. (Commands are bound as `class _Plan`: oclif names them by id.)
 */
function renamedErrors(metafile) {
  const ours = new Set();
  for (const input of Object.keys(metafile.inputs).filter((f) => f.startsWith('dist/'))) {
    for (const [, name] of readFileSync(path.join(root, input), 'utf8').matchAll(/\bclass\s+([A-Za-z_$][\w$]*Error)\b/g)) ours.add(name);
  }
  const renamed = new Set();
  for (const output of Object.keys(metafile.outputs)) {
    const text = readFileSync(path.join(root, output), 'utf8');
    for (const [, binding, inner] of text.matchAll(/\b([A-Za-z_$][\w$]*) = class(?: ([A-Za-z_$][\w$]*))?/g)) {
      const declared = binding.replace(/\d+$/, '');
      const name = inner && inner !== 'extends' ? inner : binding;
      if (ours.has(declared) && name !== declared) renamed.add(`${declared} (named ${name})`);
    }
  }
  return [...renamed];
}
const renamed = renamedErrors(result.metafile);
if (renamed.length > 0) {
  console.error(`bundle-cli: error classes whose name the bundle changed: ${renamed.join(', ')}. Rename one of the clashing classes in src/.`);
  process.exit(1);
}
