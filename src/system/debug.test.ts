import { describe, expect, it } from 'vitest';
import { redactHeader, redactHeaders, redactUrl } from './debug.js';

describe('debug redaction', () => {
  it('keeps the scheme of Authorization and Proxy-Authorization, hides the rest', () => {
    expect(redactHeader('Authorization', 'Basic Y2k6aHVudGVyMg==')).toBe('Basic ***');
    expect(redactHeader('authorization', 'Bearer eyJhbGciOi.x.y')).toBe('Bearer ***');
    expect(redactHeader('Proxy-Authorization', 'Basic abc')).toBe('Basic ***');
  });

  it('hides cookies, GitLab private tokens and tokens inside a challenge', () => {
    expect(redactHeaders({ cookie: 'session=abc', 'set-cookie': ['a=1', 'b=2'], 'private-token': 'glpat-x', 'x-other': 'dropped' }))
      .toBe('cookie: ***; set-cookie: ***; set-cookie: ***; private-token: ***');
    expect(redactHeader('www-authenticate', 'Bearer realm="https://u:p@auth.example/token",service="reg",error="invalid_token",token="abc"'))
      .toBe('Bearer realm="https://***@auth.example/token",service="reg",error="invalid_token",token="***"');
  });

  it('removes user:pass@ and token query parameters from URLs, also inside Location and Link', () => {
    expect(redactUrl('https://ci:s3cret@registry.example/v2/')).toBe('https://***@registry.example/v2/');
    expect(redactUrl('https://gitlab.example/api/v4/projects?private_token=glpat-1&page=2&access_token=x')).toBe('https://gitlab.example/api/v4/projects?private_token=***&page=2&access_token=***');
    expect(redactHeader('location', 'https://cdn.example/blob?X-Amz-Signature=abc&X-Amz-Date=1')).toBe('https://cdn.example/blob?X-Amz-Signature=***&X-Amz-Date=1');
    expect(redactHeader('link', '<https://api.example/r?page=2&access_token=t>; rel="next"')).toBe('<https://api.example/r?page=2&access_token=***>; rel="next"');
  });
});
