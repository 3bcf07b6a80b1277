import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig, resolveConfig } from './load.js';

const minimal = {
  registry: { url: '127.0.0.1:5000/mirror', insecure: true },
  apps: {
    alpha: {
      upstream: { type: 'github-releases', repository: 'acme/alpha' },
      source: { git: 'https://example.invalid/alpha.git', ref: 'v{version}' },
    },
  },
};

async function tempDir() {
  return mkdtemp(path.join(tmpdir(), 'mirror-config-'));
}

function issuesOf(value: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfig(value, 'mirror.config.json', env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('config loading', () => {
  it('loads a plain `export default {…}` from .ts, .mts, .mjs, .js and .json', async () => {
    // Given the same config written in every accepted format
    const dir = await tempDir();
    const body = JSON.stringify(minimal);
    const files: Record<string, string> = {
      'a.ts': `const port: number = 5000;\nexport default ${body.replace('5000', '${port}').replace(/"url":"([^"]*)"/, '"url":`$1`')};\n`,
      'b.mts': `export default ${body};\n`,
      'c.mjs': `export default ${body};\n`,
      'd.js': `export default ${body};\n`,
      'e.json': body,
    };
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
    for (const name of Object.keys(files)) {
      // When it is loaded
      const config = await loadConfig({ cwd: dir, config: name, env: {} });
      // Then defaults are applied and the single-image app has one image named like the app
      expect(config.registry.url, name).toBe('127.0.0.1:5000/mirror');
      expect(config.apps[0].maxVersions).toBe(10);
      expect(config.apps[0].platforms).toEqual(['linux/amd64', 'linux/arm64']);
      expect(config.apps[0].images.map((i) => i.name)).toEqual(['alpha']);
      expect(config.state.path).toBe(path.join(dir, '.mirror/state.json'));
    }
  });

  it('keeps the transpiled .ts config in mirror\'s cache, and a changed config is read anew', async () => {
    // Given a .ts config, loaded once
    const dir = await tempDir();
    const file = path.join(dir, 'mirror.config.ts');
    const write = (max: number) => writeFile(file, `const n: number = ${max};\nexport default ${JSON.stringify({ ...minimal, defaults: { maxVersions: 0 } }).replace('"maxVersions":0', '"maxVersions":n')};\n`);
    await write(3);
    expect((await loadConfig({ cwd: dir, env: {} })).apps[0].maxVersions).toBe(3);
    // Then the transpiled module is in .mirror/cache/config
    expect((await readdir(path.join(dir, '.mirror/cache/config'))).length).toBeGreaterThan(0);
    // When the config changes, the next load sees the change (the cache is keyed by content)
    await write(4);
    expect((await loadConfig({ cwd: dir, env: {} })).apps[0].maxVersions).toBe(4);
    // And with XDG_CACHE_HOME the cache lives there instead
    const xdg = await tempDir();
    await loadConfig({ cwd: dir, env: { XDG_CACHE_HOME: xdg } });
    expect((await readdir(path.join(xdg, 'mirror/config'))).length).toBeGreaterThan(0);
  });

  it('loads TypeScript as users write it: sucrase for plain TypeScript, Babel for top-level await and import.meta', async () => {
    // Given a project with an ESM package and a second .ts file
    const dir = await tempDir();
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
    await mkdir(path.join(dir, 'node_modules/esm-ports'), { recursive: true });
    await writeFile(path.join(dir, 'node_modules/esm-ports/package.json'), '{"name":"esm-ports","type":"module","exports":"./index.js"}');
    await writeFile(path.join(dir, 'node_modules/esm-ports/index.js'), 'export const port = 5000;\n');
    await writeFile(path.join(dir, 'apps.ts'), `export const repository: string = 'acme/alpha';\n`);
    const body = JSON.stringify(minimal).replace('"127.0.0.1:5000/mirror"', '`127.0.0.1:${port}/mirror`').replace('"acme/alpha"', 'repository');
    // And a config with types, an interface, an enum, satisfies, a package import and a relative .ts import
    await writeFile(path.join(dir, 'typed.ts'), [
      `import { port } from 'esm-ports';`, `import { repository } from './apps.ts';`,
      'interface Named { name: string }', 'enum Tier { Gold = 1 }', `const named = { name: 'x' } satisfies Named;`,
      `export default ${body.replace('{', '{ tier: undefined as Tier | undefined,')} as unknown;`, 'void named;', '',
    ].join('\n').replace('tier: undefined as Tier | undefined,', ''));
    // When it is loaded, then it loads the fast way (sucrase's cache folder), not through Babel
    const typed = await loadConfig({ cwd: dir, config: 'typed.ts', env: {} });
    expect(typed.registry.url).toBe('127.0.0.1:5000/mirror');
    expect(typed.apps[0].upstream).toMatchObject({ repository: 'acme/alpha' });
    expect((await readdir(path.join(dir, '.mirror/cache/config/sucrase'))).length).toBeGreaterThan(0);
    expect((await readdir(path.join(dir, '.mirror/cache/config'))).filter((f) => f !== 'sucrase')).toEqual([]);

    // Given configs sucrase cannot run: top-level await, and import.meta
    await writeFile(path.join(dir, 'tla.ts'), `import { repository } from './apps.ts';\nconst { port } = await import('esm-ports');\nexport default ${body};\n`);
    await writeFile(path.join(dir, 'meta.ts'), `import { port } from 'esm-ports';\nimport { repository } from './apps.ts';\nconst here: string = import.meta.url;\nexport default { ...${body}, registry: { url: here.startsWith('file:') ? \`127.0.0.1:\${port}/mirror\` : 'wrong', insecure: true } };\n`);
    for (const name of ['tla.ts', 'meta.ts']) {
      // When each is loaded, then it loads all the same, through Babel
      const config = await loadConfig({ cwd: dir, config: name, env: {} });
      expect(config.registry.url, name).toBe('127.0.0.1:5000/mirror');
    }
    expect((await readdir(path.join(dir, '.mirror/cache/config'))).filter((f) => f !== 'sucrase').length).toBeGreaterThan(0);
  });

  it('finds mirror.config.* in the working directory and says how to start when none exists', async () => {
    const dir = await tempDir();
    await expect(loadConfig({ cwd: dir, env: {} })).rejects.toMatchObject({
      message: expect.stringMatching(/^No mirror config found in /), nextSteps: expect.stringContaining('mirror init'),
    });
    await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify(minimal));
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config.file).toBe(path.join(dir, 'mirror.config.json'));
  });

  it('validates the repository mirror.config.ts (the three seed apps)', async () => {
    const config = await loadConfig({ cwd: path.resolve(import.meta.dirname, '../..'), env: {} });
    expect(config.apps.map((a) => a.name)).toEqual(['mattermost', 'mostlymatter', 'outline']);
    const outline = config.apps.find((a) => a.name === 'outline')!;
    expect(outline.images.map((i) => i.name)).toEqual(['base-outline', 'outline']);
    expect(outline.images[1].source.git).toBe('https://github.com/outline/outline.git');
    const mostly = config.apps.find((a) => a.name === 'mostlymatter')!;
    expect(mostly.requires).toHaveLength(1);
    expect(mostly.images[0].patches).toHaveLength(3);
  });

  it('names the path of every problem', () => {
    // Given a config missing the upstream repository, with a typo key and a bad platform
    const issues = issuesOf({
      registry: { url: 'r/x' },
      defaults: { maxVersion: 3, platforms: ['amd64'] },
      apps: { alpha: { upstream: { type: 'github-releases' }, source: { git: 'g' } } },
    });
    // Then each issue names where it is
    expect(issues).toContain('apps.alpha.upstream.repository: Required');
    expect(issues.some((i) => i.startsWith('defaults: Unrecognized key') && i.includes('maxVersion'))).toBe(true);
    expect(issues).toContain('defaults.platforms.0: expected os/arch[/variant], e.g. linux/arm64');
  });

  it('rejects unknown placeholders, naming the placeholder and where it is', () => {
    const issues = issuesOf({
      ...minimal,
      apps: { alpha: { ...minimal.apps.alpha, buildArgs: { PKG: 'https://x/{verison}/{arch}.tgz' }, requires: ['https://x/{image:alpha}'] } },
    });
    expect(issues).toContain('apps.alpha.buildArgs.PKG: unknown placeholder {verison}');
    expect(issues).toContain('apps.alpha.requires.0: unknown placeholder {image:alpha}');
  });

  it('accepts {image:NAME} only for an image the build dependsOn, and reports dependsOn cycles', () => {
    const base = { upstream: minimal.apps.alpha.upstream, source: minimal.apps.alpha.source };
    expect(issuesOf({ ...minimal, apps: { o: { ...base, images: {
      base: {}, app: { dependsOn: ['base'], buildArgs: { B: '{image:base}' } } } } } })).toEqual([]);
    expect(issuesOf({ ...minimal, apps: { o: { ...base, images: {
      base: {}, app: { buildArgs: { B: '{image:base}' } } } } } })).toContain('apps.o.images.app.buildArgs.B: unknown placeholder {image:base}');
    const cyc = issuesOf({ ...minimal, apps: { o: { ...base, images: { a: { dependsOn: ['b'] }, b: { dependsOn: ['a'] } } } } });
    expect(cyc.some((i) => /apps\.o\.images\.\w\.dependsOn: cycle/.test(i))).toBe(true);
  });

  it('refuses two apps whose images share a name (one repository for both), naming both', () => {
    const base = { upstream: minimal.apps.alpha.upstream, source: minimal.apps.alpha.source };
    const issues = issuesOf({ ...minimal, apps: { suite: { ...base, images: { web: {}, worker: {} } }, web: base } });
    expect(issues).toEqual([`apps.web: image "web" is also built by apps.suite.images.web; both would publish into the one repository "web" (each app's latest and retention would act on the other's versions). Rename one of them (a single-image app's image is named after the app).`]);
    // Distinct names are fine
    expect(issuesOf({ ...minimal, apps: { suite: { ...base, images: { web: {}, worker: {} } }, api: base } })).toEqual([]);
  });

  it('resolves env: references, reporting unset required ones and leaving optional credentials unset', () => {
    const value = { ...minimal, registry: { url: 'env:REG', username: 'env:U', password: 'env:P' } };
    expect(issuesOf(value, {})).toEqual(['registry.url: environment variable REG is not set']);
    const config = resolveConfig(value, 'f.json', { REG: 'localhost:5000/ns', U: 'bob', P: 's3cret' });
    expect(config.registry).toMatchObject({ url: 'localhost:5000/ns', username: 'bob', password: 's3cret' });
    // The hash is computed from the unresolved config, so secrets never influence or leak into it.
    const other = resolveConfig(value, 'f.json', { REG: 'localhost:5000/ns', U: 'bob', P: 'different' });
    expect(other.hash).toBe(config.hash);
  });

  it('rejects invalid regexes, capture-less tag patterns and bad semver ranges', () => {
    const issues = issuesOf({ ...minimal, apps: { alpha: { ...minimal.apps.alpha,
      upstream: { type: 'gitlab-tags', baseUrl: 'https://gitlab.example', project: 'a/b', tagPattern: '^v\\d+$', versions: '>=>1' } } } });
    expect(issues).toContain('apps.alpha.upstream.tagPattern: needs a capture group for the version');
    expect(issues).toContain('apps.alpha.upstream.versions: not a valid semver range ">=>1"');
  });

  it('lets apps override defaults', () => {
    const config = resolveConfig({ ...minimal, defaults: { maxVersions: 3, platforms: ['linux/amd64'] },
      apps: { alpha: { ...minimal.apps.alpha, maxVersions: 5 } } }, 'f.json', {});
    expect(config.apps[0].maxVersions).toBe(5);
    expect(config.apps[0].platforms).toEqual(['linux/amd64']);
  });

  it('builds under OCI isolation unless an app asks for chroot with the object form of builder', () => {
    const config = resolveConfig({ ...minimal, defaults: { builder: 'buildah' },
      apps: { alpha: minimal.apps.alpha, beta: { ...minimal.apps.alpha, builder: { type: 'buildah', isolation: 'chroot' } }, gamma: { ...minimal.apps.alpha, builder: { type: 'buildah' } } } }, 'f.json', {});
    expect(config.apps.map((a) => [a.name, a.builder, a.isolation])).toEqual([['alpha', 'buildah', 'oci'], ['beta', 'buildah', 'chroot'], ['gamma', 'buildah', 'oci']]);
    expect(issuesOf({ ...minimal, apps: { alpha: { ...minimal.apps.alpha, builder: { type: 'buildx', isolation: 'chroot' } } } }).join('\n')).toMatch(/apps\.alpha\.builder/);
  });

  it('refuses context, dockerfile and patch files that are absolute or climb out with ..', () => {
    const issues = issuesOf({ ...minimal, apps: { alpha: { ...minimal.apps.alpha, context: '../..', dockerfile: '/etc/passwd', patches: [{ file: 'a/../../b', replace: 'x', with: 'y' }] } } });
    expect(issues).toContain('apps.alpha.context: must stay inside the source checkout (no ".." segments)');
    expect(issues).toContain('apps.alpha.dockerfile: must be relative to the source checkout, not an absolute path');
    expect(issues.some((i) => i.startsWith('apps.alpha.patches.0'))).toBe(true);
    expect(issuesOf({ ...minimal, apps: { alpha: { ...minimal.apps.alpha, context: 'server/build', dockerfile: './server/build/Dockerfile..bak' } } })).toEqual([]);
  });
});

describe('config syntax errors point at file:line:column', () => {
  const broken = 'export default {\n  registry: { url: "x" ,,\n};\n';
  // (.mjs goes through Node's own loader, which vitest replaces: test/e2e/commands.test.ts covers it)
  it.each([['mirror.config.ts', broken], ['mirror.config.json', '{\n  "registry": { "url": "x" },\n  "apps": {,}\n}\n']])('%s', async (name, text) => {
    const dir = await tempDir();
    const file = path.join(dir, name);
    await writeFile(file, text);
    const error = await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const where = name.endsWith('.json') ? '3:12' : '2:24';
    expect((error as ConfigError).issues).toEqual([expect.stringMatching(new RegExp(`^syntax error at ${file.replace(/[.]/g, '\\.')}:${where}: \\S`))]);
  });

  it('a .ts config that throws runs once (no retry with Babel), and one importing an ESM-only package loads', async () => {
    // Given a config that leaves a mark and then throws
    const dir = await tempDir();
    const marks = path.join(dir, 'marks.txt');
    await writeFile(path.join(dir, 'throws.ts'), `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(marks)}, 'ran\\n');\nconst reason: string = 'boom';\nthrow new Error(reason);\n`);
    // When it is loaded, then the error is the config's own and its top level ran once
    const error = await loadConfig({ cwd: dir, config: 'throws.ts', env: {} }).catch((e: unknown) => e);
    expect((error as ConfigError).issues).toEqual(['cannot be loaded: boom']);
    expect(await readFile(marks, 'utf8')).toBe('ran\n');
    // Given a package that exports only under the `import` condition (jiti's require cannot take it)
    await mkdir(path.join(dir, 'node_modules/esm-only'), { recursive: true });
    await writeFile(path.join(dir, 'node_modules/esm-only/package.json'), '{"name":"esm-only","type":"module","exports":{"import":"./index.js"}}');
    await writeFile(path.join(dir, 'node_modules/esm-only/index.js'), "export const url = '127.0.0.1:5000/mirror';\n");
    await writeFile(path.join(dir, 'esm-only.ts'), `import { url } from 'esm-only';\nexport default { ...${JSON.stringify(minimal)}, registry: { url, insecure: true } };\n`);
    // When a config imports it, then it loads (through Babel)
    expect((await loadConfig({ cwd: dir, config: 'esm-only.ts', env: {} })).registry.url).toBe('127.0.0.1:5000/mirror');
  });

  it('a config that parses but throws is still "cannot be loaded", with the reason', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'mirror.config.mjs'), 'throw new Error("boom");\n');
    const error = await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect((error as ConfigError).issues).toEqual(['cannot be loaded: boom']);
  });
});
