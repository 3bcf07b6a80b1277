import { describe, expect, it } from 'vitest';
import { redactUrlsIn, withoutCredentials } from '../system/redact-url.js';
import { imageLabels } from './labels.js';

describe('no secrets in labels, logs or errors', () => {
  it('an image label names the source repository without user info or token parameters', () => {
    const labels = imageLabels({ version: '1.0.0', git: 'http://oauth2:glpat-SECRET1@git.example/app.git?private_token=SECRET2&x=1', commit: 'c0ffee', title: 'app', created: new Date(0) });
    expect(labels).toEqual({
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.source': 'http://git.example/app.git?x=1',
      'org.opencontainers.image.revision': 'c0ffee',
      'org.opencontainers.image.created': '1970-01-01T00:00:00.000Z',
      'org.opencontainers.image.title': 'app',
    });
    expect(imageLabels({ version: '1', git: 'https://github.com/o/r.git', commit: 'c', title: 't' })['org.opencontainers.image.source']).toBe('https://github.com/o/r.git');
  });

  it('one function strips (labels, state, provenance) or masks (the debug trace)', () => {
    expect(withoutCredentials('https://u:p@h/x?token=t&a=1')).toBe('https://h/x?a=1');
    expect(withoutCredentials('https://u:p@h/x?token=t&a=1', '***')).toBe('https://***@h/x?token=***&a=1');
    expect(withoutCredentials('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
    expect(withoutCredentials('not a url ssh://u:tok@h/r')).toBe('not a url ssh://u:tok@h/r'.replace('u:tok@', ''));
    expect(redactUrlsIn("fatal: unable to access 'https://oauth2:glpat-X@h/app.git/': 403")).toBe("fatal: unable to access 'https://h/app.git/': 403");
  });
});
