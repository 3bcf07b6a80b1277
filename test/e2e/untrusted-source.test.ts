/**
 * Upstream repositories are untrusted, end to end through the CLI (real git, real buildah, real
 * registry): a branch named like the tag is not what gets built, a tag moved after the plan is
 * refused naming both commits, a committed symlink out of the checkout is never patched through,
 * a context symlinked out of the checkout is refused, and a token in source.git reaches no label.
 */
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/config/schema.js';
import { createRegistryBackend } from '../../src/providers/registry/index.js';
import type { RegistryBackend } from '../../src/providers/registry/types.js';
import { createGitRepo, git, type FixtureRepo } from '../rig/git.js';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { pushBaseImage } from '../rig/sources.js';
import { mirror } from './cli.js';

let registry: TestRegistry;
let backend: RegistryBackend;
let dir: string;
let outside: string;
const repos: Record<string, FixtureRepo> = {};

/** A repository with tag v1.0.0 made by `shape` (run in the work tree before the tag's commit). */
async function repo(name: string, dockerfile: string, shape?: (d: string) => Promise<void>): Promise<FixtureRepo> {
  const r = await createGitRepo(path.join(dir, 'git', name), { files: { Dockerfile: dockerfile }, tags: [] });
  await writeFile(path.join(r.dir, 'Dockerfile'), dockerfile);
  await shape?.(r.dir);
  await git(r.dir, ['add', '-A']);
  await git(r.dir, ['commit', '-qm', 'release v1.0.0']);
  await git(r.dir, ['tag', 'v1.0.0']);
  r.commits['v1.0.0'] = await git(r.dir, ['rev-parse', 'HEAD']);
  return r;
}

beforeAll(async () => {
  registry = await startRegistry();
  backend = createRegistryBackend({ url: registry.url('mirror'), insecure: true }, { env: { HOME: '/nonexistent' } });
  const base = await pushBaseImage(backend, 'base-untrusted');
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-untrusted-'));
  outside = await mkdtemp(path.join(tmpdir(), 'mirror-untrusted-outside-'));
  await writeFile(path.join(outside, 'host.conf'), 'listen=a\n');
  await writeFile(path.join(outside, 'id_rsa'), 'PRIVATE KEY\n');
  const from = `FROM ${base}\n`;
  // tagged: tag v1.0.0, then a branch v1.0.0 with other content (anyone who can push a branch can make one)
  repos.tagged = await repo('tagged', `${from}LABEL which=tag\n`);
  await git(repos.tagged.dir, ['checkout', '-q', '-b', 'v1.0.0']);
  await writeFile(path.join(repos.tagged.dir, 'Dockerfile'), `${from}LABEL which=branch\n`);
  await git(repos.tagged.dir, ['commit', '-qam', 'a branch named like the tag']);
  await git(repos.tagged.dir, ['checkout', '-q', 'main']);
  repos.linked = await repo('linked', `${from}LABEL which=linked\n`, (d) => symlink(path.join(outside, 'host.conf'), path.join(d, 'conf.txt')));
  repos.ctxlink = await repo('ctxlink', `${from}COPY id_rsa /stolen\n`, (d) => symlink(outside, path.join(d, 'ctx')));
  repos.moved = await repo('moved', `${from}LABEL which=planned\n`);
  const app = (name: string, extra: Record<string, unknown> = {}) => ({
    upstream: { type: 'git-tags', url: repos[name].url },
    source: { git: repos[name].url.replace('file://', 'file://'), ref: '{tag}' }, ...extra,
  });
  const config = {
    registry: { url: registry.url('mirror'), insecure: true },
    defaults: { maxVersions: 1, platforms: ['linux/amd64'], builder: 'buildah', floatingTags: [], attest: { sbom: false, provenance: false, sign: false } },
    apps: {
      tagged: app('tagged'),
      linked: app('linked', { patches: [{ file: 'conf.txt', replace: 'listen=a', with: 'listen=pwned' }] }),
      ctxlink: app('ctxlink', { context: 'ctx', dockerfile: 'Dockerfile' }),
      moved: app('moved'),
    },
  } as unknown as MirrorConfig;
  await writeFile(path.join(dir, 'mirror.config.json'), JSON.stringify(config, null, 2));
}, 120_000);
afterAll(async () => {
  await backend?.close();
  await registry?.stop();
  for (const d of [dir, outside]) if (d) await rm(d, { recursive: true, force: true });
});

async function labelsOf(image: string, version: string): Promise<Record<string, string>> {
  const index = JSON.parse(Buffer.from((await backend.getManifest(image, version)).bytes).toString());
  const manifest = JSON.parse(Buffer.from((await backend.getManifest(image, index.manifests[0].digest)).bytes).toString());
  return JSON.parse(Buffer.from(await backend.getBlob(image, manifest.config.digest)).toString()).config.Labels;
}

describe('untrusted upstream sources, through plan and apply', () => {
  it('builds the tag (not the same-named branch) and refuses moved tags, symlinked patches and contexts outside the checkout', async () => {
    // Given a saved plan, after which the moved app's tag is re-pointed at another commit
    const plan = await mirror(['plan', '--out', 'plan.json', '--no-color'], { cwd: dir });
    expect(plan.exitCode, plan.stderr).toBe(0);
    await writeFile(path.join(repos.moved.dir, 'Dockerfile'), `${(await readFile(path.join(repos.moved.dir, 'Dockerfile'), 'utf8')).replace('planned', 'swapped')}`);
    await git(repos.moved.dir, ['commit', '-qam', 'swapped after review']);
    await git(repos.moved.dir, ['tag', '-f', 'v1.0.0']);
    const swapped = await git(repos.moved.dir, ['rev-parse', 'HEAD']);
    // When the plan is applied
    const r = await mirror(['apply', 'plan.json', '--no-color'], { cwd: dir });
    const out = r.stdout + r.stderr;
    expect(r.exitCode, out).toBe(1);
    // Then the tag's content was built and labelled with the tag's commit
    const labels = await labelsOf('tagged', '1.0.0');
    expect(labels.which).toBe('tag');
    expect(labels['org.opencontainers.image.revision']).toBe(repos.tagged.commits['v1.0.0']);
    // and the moved tag is refused naming both commits, nothing published for it
    expect(out).toContain(`tag v1.0.0 of ${repos.moved.url} is at commit ${swapped}, but the plan recorded ${repos.moved.commits['v1.0.0']}`);
    expect(await backend.headManifest('moved', '1.0.0')).toBeUndefined();
    // and the patch through the committed symlink failed, the outside file untouched
    expect(out).toContain(`file "conf.txt" resolves through a symlink to ${path.join(outside, 'host.conf')}, outside the source tree`);
    expect(await readFile(path.join(outside, 'host.conf'), 'utf8')).toBe('listen=a\n');
    expect(await backend.headManifest('linked', '1.0.0')).toBeUndefined();
    // and the context symlinked out of the checkout was refused: no image carries the outside file
    expect(out).toContain(`apps.ctxlink.context "ctx" resolves through a symlink to ${outside}, outside the source tree`);
    expect(await backend.headManifest('ctxlink', '1.0.0')).toBeUndefined();
  }, 240_000);
});
