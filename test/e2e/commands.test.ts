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
