/**
 * The import graph of the CLI bundle (dist/bundle/, written by scripts/bundle-cli.mjs), read from
 * the files themselves with TypeScript's parser: which files a command loads when it starts (its
 * static imports, followed), which it can load later (`import("…")`), the packages it leaves to
 * node_modules, and the sources each file holds (esbuild heads each module's code with a
 * `// dist/…` or `// node_modules/…` comment).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A file's imports: relative ones resolved to absolute paths, bare ones as written. */
export interface FileImports {
  static: string[];
  dynamic: string[];
}

/** Imports of one output file: top-level import/export-from statements, and import("literal") calls anywhere. */
export function importsOf(file: string): FileImports {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const resolve = (s: string) => (s.startsWith('.') ? path.resolve(path.dirname(file), s) : s);
  const found: FileImports = { static: [], dynamic: [] };
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) found.static.push(resolve(st.moduleSpecifier.text));
  }
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) found.dynamic.push(resolve(arg.text));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** What a command loads at start-up (its static closure) and what it may load later. */
export interface Graph {
  /** Output files loaded at start (absolute). */
  files: string[];
  /** Bare specifiers imported statically (packages, node: builtins). */
  external: string[];
  /** Output files reachable only through import("…") from the start-up files. */
  lazy: string[];
  /** Bare specifiers imported only through import("…"). */
  lazyExternal: string[];
  /** Relative imports that name no file. */
  missing: string[];
}

/** Follow static imports from entry. */
export function startupGraph(entry: string): Graph {
  const files = new Set<string>();
  const external = new Set<string>();
  const dynamic = new Set<string>();
  const missing = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    if (!existsSync(file)) { missing.add(file); continue; }
    files.add(file);
    const { static: imports, dynamic: later } = importsOf(file);
    for (const s of imports) (path.isAbsolute(s) ? queue.push(s) : external.add(s));
    for (const s of later) dynamic.add(s);
  }
  const later = [...dynamic].filter((f) => !files.has(f));
  return {
    files: [...files], external: [...external].sort(), missing: [...missing],
    lazy: later.filter((f) => path.isAbsolute(f)), lazyExternal: later.filter((f) => !path.isAbsolute(f) && !external.has(f)).sort(),
  };
}

/** The sources an output file holds: `dist/services/plan.js`, `node_modules/zod/v4/core/schemas.js`, … */
export function sourcesOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\/\/ ((?:dist|node_modules)\/\S+)$/gm)].map((m) => m[1]);
}
