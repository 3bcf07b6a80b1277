import { describe, expect, it } from 'vitest';
import type { State } from '../state/types.js';
import { renderHistory, renderStateShow } from './state-text.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const T = '2025-03-01T12:00:00.000Z';
const RUN = 'https://github.com/acme/mirror/actions/runs/42';

const state: State = {
  formatVersion: 2, lineage: '00000000-0000-4000-8000-000000000000', serial: 7,
  resources: {
    'outline/base-outline@1.9.2': { type: 'index', app: 'outline', image: 'base-outline', version: '1.9.2', digest: d('a'), platforms: ['linux/amd64'], tags: ['1.9.2', 'latest'], upstream: { tag: 'v1.9.2', commit: '0123456789abcdef' }, attestations: { sbom: d('e') }, createdAt: T, updatedAt: T },
    'outline/base-outline@1.9.2/linux/amd64': { type: 'build', app: 'outline', image: 'base-outline', version: '1.9.2', platform: 'linux/amd64', digest: d('b'), builder: 'buildah', upstream: { tag: 'v1.9.2', commit: '0123456789abcdef' }, createdAt: T, updatedAt: T },
    'outline/base-outline:latest': { type: 'tag', app: 'outline', image: 'base-outline', tag: 'latest', version: '1.9.2', digest: d('a'), createdAt: T, updatedAt: T },
  },
  history: [
    { time: T, who: RUN, operation: 'apply', action: 'build', address: 'outline/base-outline@1.9.2/linux/amd64', digest: d('b') },
    { time: T, who: RUN, operation: 'apply', action: 'merge', address: 'outline/base-outline@1.9.2', digest: d('a') },
  ],
};

describe('state show', () => {
  it('is a table per app and version: digest, platforms, tags, upstream tag and commit, when and by which CI run, builder, attestations', () => {
    expect(renderStateShow(state, Object.keys(state.resources).sort())).toBe([
      'State lineage 00000000-0000-4000-8000-000000000000, serial 7, 3 resources.',
      '',
      'outline',
      '  outline/base-outline@1.9.2',
      `    index      ${d('a')}`,
      '    platforms  linux/amd64',
      '    tags       1.9.2, latest',
      '    upstream   v1.9.2 (commit 0123456789ab)',
      `    recorded   ${T} by ${RUN} (apply)`,
      '    attested   sbom sha256:eeeeeeeeeeee',
      `    PLATFORM     DIGEST${' '.repeat(65)}  BUILDER  UPSTREAM                      BUILT                     BY`,
      `    linux/amd64  ${d('b')}  buildah  v1.9.2 (commit 0123456789ab)  ${T}  ${RUN} (apply)`,
      '',
      '  floating tags',
      `    TAG                          POINTS AT  DIGEST${' '.repeat(65)}  BY`,
      `    outline/base-outline:latest  1.9.2      ${d('a')}  —`,
      '',
    ].join('\n'));
  });
});

describe('state history', () => {
  it('is a table whose columns line up whatever the lengths of addresses and actions', () => {
    const lines = renderHistory([
      ...state.history,
      { time: T, who: 'me@host', operation: 'apply', action: 'tag', address: 'outline/base-outline:latest', digest: d('a'), previous: d('c'), upstream: { tag: 'v1.9.2', commit: '0123456789abcdef' } },
    ]).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +ACTION +ADDRESS +DIGEST +BY +UPSTREAM$/);
    // Every column starts at the same offset on every line
    for (const header of ['ACTION', 'ADDRESS', 'DIGEST', 'BY', 'UPSTREAM']) {
      const at = lines[0].indexOf(header);
      for (const line of lines.slice(1)) expect(line[at - 1], `${header} in ${line}`).toBe(' ');
      for (const line of lines.slice(1)) expect(line[at], `${header} in ${line}`).not.toBe(' ');
    }
    expect(lines[3]).toContain('sha256:cccccccccccc → sha256:aaaaaaaaaaaa');
    expect(lines[3]).toMatch(/v1\.9\.2@0123456789ab$/);
    expect(renderHistory([])).toBe('No history.\n');
  });
});
