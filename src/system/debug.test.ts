import { describe, expect, it, vi } from 'vitest';
import { debugEnabled, debugHttp, redactHeader, redactHeaders, redactUrl } from './debug.js';

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

describe('debug redaction edges and the debug line (mutation testing, issue 20)', () => {
  it('redacts plain-http URLs in Location and Link too, and leaves URLs in other headers as they are', () => {
    const red = redactHeader('Location', 'http://ci:hunter2@registry.local/v2/x?token=s3cret');
    expect(red).not.toContain('hunter2');
    expect(red).not.toContain('s3cret');
    expect(redactHeader('Link', '<http://u:pw@api.local/r?page=2>; rel="next"')).not.toContain('pw@');
    // content-type is shown as is (only the headers that can carry a secret are rewritten)
    expect(redactHeader('content-type', 'http://example/not-a-secret')).toBe('http://example/not-a-secret');
    expect(redactHeader('docker-content-digest', 'http://u:p@example/x?token=t')).toBe('http://u:p@example/x?token=t');
  });

  it('drops headers whose value is undefined', () => {
    expect(redactHeaders({ accept: undefined, 'content-type': 'x' })).toBe('content-type: x');
  });

  it('writes one redacted line per request and response only when MIRROR_DEBUG=1', () => {
    expect(debugEnabled({ MIRROR_DEBUG: '1' })).toBe(true);
    expect(debugEnabled({ MIRROR_DEBUG: '0' })).toBe(false);
    expect(debugEnabled({})).toBe(false);
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
    const before = process.env.MIRROR_DEBUG;
    try {
      delete process.env.MIRROR_DEBUG;
      debugHttp('registry', 'GET', 'https://r.local/v2/', undefined);
      expect(lines).toEqual([]);
      process.env.MIRROR_DEBUG = '1';
      debugHttp('registry', 'GET', 'https://u:pw@r.local/v2/?token=t0k', undefined, { authorization: 'Bearer abc' });
      debugHttp('upstream', 'GET', 'https://api.local/x', 200, {});
      expect(lines).toEqual([
        'mirror-debug registry → GET https://***@r.local/v2/?token=*** [authorization: Bearer ***]\n',
        'mirror-debug upstream ← 200 GET https://api.local/x\n',
      ]);
    } finally {
      spy.mockRestore();
      if (before === undefined) delete process.env.MIRROR_DEBUG; else process.env.MIRROR_DEBUG = before;
    }
  });
});
