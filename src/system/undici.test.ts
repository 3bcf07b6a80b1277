import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Agent, EnvHttpProxyAgent } from './undici.js';

describe('undici without its index', () => {
  it('loads the very classes undici exports (an upgrade that moves them fails here)', () => {
    expect(Agent).toBe(undici.Agent);
    expect(EnvHttpProxyAgent).toBe(undici.EnvHttpProxyAgent);
  });

  it('does not load fetch, WebSocket or the mock agents', async () => {
    const { execa } = await import('execa');
    const { stdout } = await execa(process.execPath, ['--input-type=module', '-e', `
      await import(${JSON.stringify(new URL('../../dist/system/undici.js', import.meta.url).href)});
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('/undici/'));
      console.log(JSON.stringify(loaded));`]);
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded.some((f) => f.endsWith('/lib/dispatcher/agent.js'))).toBe(true);
    expect(loaded.filter((f) => /\/lib\/(web|mock)\//.test(f) || f.endsWith('/undici/index.js'))).toEqual([]);
  });
});
