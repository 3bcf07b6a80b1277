import { describe, expect, it } from 'vitest';
import { GITHUB_API_URL, githubApiBase, githubHeaders } from './github-api.js';

describe('the GitHub API base and headers', () => {
  it('is api.github.com unless a base is given, and one base however many trailing slashes it is spelt with', () => {
    expect(githubApiBase(undefined)).toBe('https://api.github.com');
    expect(githubApiBase('')).toBe(GITHUB_API_URL);
    expect(githubApiBase('https://ghe.example/api/v3')).toBe('https://ghe.example/api/v3');
    expect(githubApiBase('https://ghe.example/api/v3//')).toBe('https://ghe.example/api/v3');
  });

  it('sends the API media type and version, and the token only when there is one', () => {
    expect(githubHeaders(undefined)).toEqual({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'mirror' });
    expect(githubHeaders('t0k')).toMatchObject({ authorization: 'Bearer t0k' });
    expect(githubHeaders('')).not.toHaveProperty('authorization');
  });
});
