#!/usr/bin/env node
// The layer rules of src/ (README "Layout"), checked on every import of the shipped code:
//   1. Top-down only: commands → cli → ui → services → apply → plan → state → config → providers
//      → oci → system. A file imports its own layer or one below, never one above.
//   2. config/, plan/ and state/ reach a provider only through its interface: a type-only import,
//      or its types.ts, errors.ts or index.ts (the provider's public face), never its internals.
//   3. No import cycles, type-only imports included (they are design cycles even when erased).
// Tests (*.test.ts) are leaves nothing imports, free to assemble layers for integration, so they
// are not checked. Imports are read with TypeScript's own parser (multi-line, `export … from`,
// dynamic `import()`), so no pattern can miss one. `npm run check:layers`; exits 1 on a finding.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.resolve(process.argv[2] ?? path.join(root, 'src')); // another tree: node scripts/check-layers.mjs DIR
const LAYERS = ['commands', 'cli', 'ui', 'services', 'apply', 'plan', 'state', 'config', 'providers', 'oci', 'system'];
/** Files at the top of src/: the package's public entry (index.ts) and the error classes every layer throws. */
const TOP_LEVEL = { 'index.ts': 'commands', 'errors.ts': 'system' };
const INTERFACE_ONLY = new Set(['config', 'plan', 'state']);
const PROVIDER_FACES = new Set(['types.ts', 'errors.ts', 'index.ts']);

/** Every non-test .ts/.tsx file under dir, relative to src/ with forward slashes. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    if (!/\.tsx?$/.test(e.name) || /\.test\.tsx?$/.test(e.name) || e.name.endsWith('.d.ts')) return [];
    return [path.relative(src, full).split(path.sep).join('/')];
  });
}

/** Layer of a file relative to src/. */
function layerOf(file) {
  const [first] = file.split('/');
  const layer = file.includes('/') ? first : TOP_LEVEL[first];
  if (!LAYERS.includes(layer)) throw new Error(`check-layers: ${file} is in no known layer; add its folder to LAYERS`);
  return layer;
}

/** Relative imports of a file: { target (relative to src/), typeOnly }. */
function importsOf(file) {
  const text = readFileSync(path.join(src, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found = [];
  const add = (specifier, typeOnly) => {
    if (!specifier.startsWith('.')) return; // packages and node: builtins
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '');
    const target = [`${resolved}.ts`, `${resolved}.tsx`, `${resolved}/index.ts`].find((f) => files.has(f));
    if (!target) throw new Error(`check-layers: ${file} imports ${specifier}, which is no file under src/`);
    found.push({ target, typeOnly });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0] ?? {})) {
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true); // import('x').T in a type position
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const files = new Set(sources(src));
const graph = new Map();
const problems = [];
for (const file of [...files].sort()) {
  const from = layerOf(file);
  const edges = importsOf(file);
  graph.set(file, edges.map((e) => e.target));
  for (const { target, typeOnly } of edges) {
    const to = layerOf(target);
    if (LAYERS.indexOf(to) < LAYERS.indexOf(from)) problems.push(`${file} imports ${target}: ${from}/ may not import ${to}/, which is above it`);
    const face = PROVIDER_FACES.has(path.posix.basename(target));
    if (INTERFACE_ONLY.has(from) && to === 'providers' && !typeOnly && !face) {
      problems.push(`${file} imports ${target}: ${from}/ reaches providers only through their interfaces (a type-only import, or types.ts, errors.ts, index.ts)`);
    }
  }
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let counter = 0;
const index = new Map(), low = new Map(), stack = [], onStack = new Set();
const strong = (v) => {
  index.set(v, counter); low.set(v, counter); counter++;
  stack.push(v); onStack.add(v);
  for (const w of graph.get(v)) {
    if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do { w = stack.pop(); onStack.delete(w); component.push(w); } while (w !== v);
  if (component.length > 1 || graph.get(v).includes(v)) problems.push(`import cycle: ${component.sort().join(' ⇄ ')}`);
};
for (const v of graph.keys()) if (!index.has(v)) strong(v);

const edges = [...graph.values()].reduce((n, e) => n + e.length, 0);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`check-layers: ${problems.length} problem(s) in ${files.size} files (${edges} imports)`);
  process.exit(1);
}
console.log(`check-layers: ${files.size} files, ${edges} imports: layers top-down, providers through interfaces, no cycles`);
