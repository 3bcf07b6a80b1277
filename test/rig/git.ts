/** Fixture git repositories made with real git, served over file:// to the code under test. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Fixture', GIT_AUTHOR_EMAIL: 'fixture@example.invalid',
  GIT_COMMITTER_NAME: 'Fixture', GIT_COMMITTER_EMAIL: 'fixture@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent',
};

/** A repository and the commit each tag points at. */
export interface FixtureRepo {
  dir: string;
  url: string;
  commits: Record<string, string>;
}

/** Run git in a fixture repository. */
export async function git(dir: string, args: string[]): Promise<string> {
  return (await execa('git', args, { cwd: dir, env: GIT_ENV })).stdout;
}

/** Create a repository; each tag gets its own commit (with `files`, plus a VERSION file naming the tag). */
export async function createGitRepo(dir: string, opts: { files: Record<string, string>; tags: string[]; annotated?: boolean }): Promise<FixtureRepo> {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  const commits: Record<string, string> = {};
  for (const tag of opts.tags) {
    for (const [file, content] of Object.entries(opts.files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content.replaceAll('{tag}', tag));
    }
    await writeFile(path.join(dir, 'VERSION'), `${tag}\n`);
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-q', '-m', `release ${tag}`]);
    await git(dir, opts.annotated ? ['tag', '-a', '-m', `release ${tag}`, tag] : ['tag', tag]);
    commits[tag] = await git(dir, ['rev-parse', 'HEAD']);
  }
  return { dir, url: `file://${dir}`, commits };
}
