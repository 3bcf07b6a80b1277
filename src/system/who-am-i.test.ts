import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { whoAmI } from './who-am-i.js';

describe('whoAmI', () => {
  it('names the CI run as the holder in GitHub Actions, else user@host', () => {
    expect(whoAmI({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '42' }))
      .toBe('https://github.com/o/r/actions/runs/42');
    expect(whoAmI({})).toMatch(new RegExp(`^.+@${os.hostname()}$`));
    // all three variables or none: a partial set (a local shell with some exported) names the user
    for (const partial of [{ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r' }, { GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '42' }, { GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '42' }]) {
      expect(whoAmI(partial)).toMatch(new RegExp(`^.+@${os.hostname()}$`));
    }
  });
});
