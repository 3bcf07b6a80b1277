import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLocker } from '../../src/state/lock.js';
import { mirror } from './cli.js';

const temp = () => mkdtemp(path.join(tmpdir(), 'mirror-cmd-'));

describe('mirror init / validate', () => {
  it('init scaffolds a config that validate accepts, and refuses to overwrite it', async () => {
    const dir = await temp();
    const init = await mirror(['init', '--registry', 'localhost:5000/team'], { cwd: dir });
    expect(init.exitCode, init.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'mirror.config.ts'), 'utf8')).toContain("url: \"localhost:5000/team\"");
    const validate = await mirror(['validate'], { cwd: dir });
    expect(validate.exitCode, validate.stderr).toBe(0);
    expect(validate.stdout).toBe(`${path.join(dir, 'mirror.config.ts')} is valid: 1 apps, 1 images, registry localhost:5000/team.`);
    const again = await mirror(['init'], { cwd: dir });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/already exists\.\nEdit it, or pass --force/);
  });

  it('init with the default registry: validate names the placeholder to replace, then init → validate → plan agree', async () => {
    // Given the config init writes without --registry
    const dir = await temp();
    const init = await mirror(['init'], { cwd: dir });
    expect(init.stdout).toContain('Replace OWNER in registry.url with your namespace;');
    // Then validate says exactly which placeholder to replace (plan refuses the same config the same way)
    const file = path.join(dir, 'mirror.config.ts');
    const placeholder = `Error: Invalid config ${file}: registry.url: replace the placeholder OWNER in "ghcr.io/OWNER/mirror" with your registry namespace (e.g. your GitHub user or organisation, in lower case)`;
    for (const cmd of ['validate', 'plan']) {
      const r = await mirror([cmd], { cwd: dir });
      expect(r.exitCode, cmd).toBe(1);
      expect(r.stderr.split('\n')[0], cmd).toBe(placeholder);
    }
    // When the owner is filled in upper case, validate refuses it as plan would, saying why
    await writeFile(file, (await readFile(file, 'utf8')).replace('ghcr.io/OWNER/mirror', 'ghcr.io/Acme/mirror'));
    const upper = await mirror(['validate'], { cwd: dir });
    expect(upper.exitCode).toBe(1);
    expect(upper.stderr).toContain(': registry.url "ghcr.io/Acme/mirror" is not host[:port]/namespace. Repository paths are lower case (ghcr.io/acme/mirror).');
  });

  it('validate names the path and the unknown placeholder', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'mirror.config.mjs'), `export default {
      registry: { url: 'localhost:5000/x' },
      apps: { alpha: { upstream: { type: 'git-tags', url: 'file:///nope' }, source: { git: 'g', ref: 'v{verison}' } } },
    };`);
    const r = await mirror(['validate'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`Error: Invalid config ${path.join(dir, 'mirror.config.mjs')}: apps.alpha.source.ref: unknown placeholder {verison}\nFix the config and run \`mirror validate\`.`);
  });
  it("validate refuses a context outside the checkout and warns that isolation 'chroot' runs upstream code unconfined", async () => {
    const dir = await temp();
    const app = { upstream: { type: 'git-tags', url: 'file:///nope' }, source: { git: 'g' } };
    await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({ registry: { url: 'localhost:5000/x' }, apps: { a: { ...app, context: '../..' } } }));
    const refused = await mirror(['validate'], { cwd: dir });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('apps.a.context: must stay inside the source checkout (no ".." segments)');
    await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({ registry: { url: 'localhost:5000/x' }, apps: { a: { ...app, builder: { type: 'buildah', isolation: 'chroot' } } } }));
    const warned = await mirror(['validate'], { cwd: dir });
    expect(warned.exitCode, warned.stderr).toBe(0);
    expect(warned.stderr).toBe("warning: apps.a builds with buildah isolation 'chroot': upstream build steps run unconfined (they see the host's /proc and can escape to the host, its files and mirror's credentials); remove isolation: 'chroot' to build under OCI isolation.");
  });
});

describe('small things a new user meets', () => {
  it('a syntax error in a .mjs config is reported as file:line:column', async () => {
    const dir = await temp();
    const file = path.join(dir, 'mirror.config.mjs');
    await writeFile(file, 'export default {\n  registry: { url: "x" ,,\n};\n');
    const r = await mirror(['validate'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`Error: Invalid config ${file}: syntax error at ${file}:2:24: Unexpected token ','\nFix the config and run \`mirror validate\`.`);
  });

  it('an environment override the config refuses names the variable', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({ registry: { url: 'localhost:5000/x' }, apps: { a: { upstream: { type: 'git-tags', url: 'file:///nope' }, source: { git: 'g' } } } }));
    const r = await mirror(['validate'], { cwd: dir, env: { MIRROR_MAX_VERSIONS: '1000000' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/: MIRROR_MAX_VERSIONS=1000000: Too big: expected number to be <=1000$/);
  });

  it('state show with no state says so, and --json prints null (the same every time)', async () => {
    const dir = await temp();
    await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({ registry: { url: 'localhost:5000/x' }, apps: { a: { upstream: { type: 'git-tags', url: 'file:///nope' }, source: { git: 'g' } } } }));
    const text = await mirror(['state', 'show'], { cwd: dir });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toBe(`No state yet at ${path.join(dir, '.mirror', 'state.json')}. \`mirror apply\` creates it.`);
    for (let i = 0; i < 2; i++) {
      const json = await mirror(['state', 'show', '--json'], { cwd: dir });
      expect(json.exitCode, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toBeNull();
    }
    const one = await mirror(['state', 'show', 'a@1.0.0'], { cwd: dir });
    expect(one.exitCode).toBe(1);
    expect(one.stderr).toMatch(/^Error: No resource in the state matches a@1\.0\.0: there is no state yet at /);
  });
});

describe('mirror force-unlock', () => {
  it('releases a lock by its ID and refuses a wrong ID naming the right one', async () => {
    // Given a config and a lock held by another (live) process's ID
    const dir = await temp();
    await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify({
      registry: { url: 'localhost:5000/x' }, apps: { a: { upstream: { type: 'git-tags', url: 'file:///nope' }, source: { git: 'g' } } },
    }));
    const handle = await new FileLocker(path.join(dir, '.mirror', 'state.json')).acquire('apply');
    const wrong = await mirror(['force-unlock', 'not-it'], { cwd: dir });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`^Error: Lock ID not-it does not match the lock held .*lock ID ${handle.info.id}`));
    const right = await mirror(['force-unlock', handle.info.id], { cwd: dir });
    expect(right.exitCode, right.stderr).toBe(0);
    expect(await new FileLocker(path.join(dir, '.mirror', 'state.json')).current()).toBeUndefined();
  });
});

describe('start-up', () => {
  it('answers --version without loading oclif, and --help lists the commands from the manifest', async () => {
    const dir = await temp();
    const v = await mirror(['--version'], { cwd: dir });
    expect(v.stdout).toMatch(/^mirror\/\d+\.\d+\.\d+ linux-x64 node-v20/);
    const h = await mirror(['--help'], { cwd: dir });
    for (const cmd of ['plan', 'validate', 'init', 'force-unlock']) expect(h.stdout).toContain(cmd);
  });
});
