import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { resolveConfig } from './load.js';
import { applyEnvOverrides, attributeToOverrides } from './overrides.js';

const file = 'mirror.config.json';
const raw = {
  registry: { url: 'ghcr.io/acme/mirror' },
  defaults: { maxVersions: 10 },
  apps: {
    a: { upstream: { type: 'git-tags', url: 'u' }, source: { git: 'g' }, maxVersions: 5, platforms: ['linux/arm64'] },
    b: { upstream: { type: 'git-tags', url: 'u' }, source: { git: 'g' } },
  },
};
const resolve = (env: Record<string, string>) => resolveConfig(applyEnvOverrides(raw, env, file), file, env);

describe('environment overrides (the old workflow_dispatch inputs)', () => {
  it('change nothing when unset, and the input is never mutated', () => {
    expect(applyEnvOverrides(raw, {}, file)).toBe(raw);
    resolve({ MIRROR_MAX_VERSIONS: '2' });
    expect(raw.apps.a.maxVersions).toBe(5);
  });

  it('MIRROR_REGISTRY and MIRROR_NAMESPACE set the registry URL', () => {
    expect(resolve({ MIRROR_REGISTRY: 'registry.example.com:5000' }).registry.url).toBe('registry.example.com:5000/acme/mirror');
    expect(resolve({ MIRROR_REGISTRY: 'localhost:5000/team' }).registry.url).toBe('localhost:5000/team');
    expect(resolve({ MIRROR_NAMESPACE: 'other' }).registry.url).toBe('ghcr.io/other');
    expect(resolve({ MIRROR_REGISTRY: 'quay.io', MIRROR_NAMESPACE: 'ns' }).registry.url).toBe('quay.io/ns');
  });

  it('MIRROR_MAX_VERSIONS and MIRROR_PLATFORMS win over per-app values, and change the config hash', () => {
    const c = resolve({ MIRROR_MAX_VERSIONS: '3', MIRROR_PLATFORMS: 'linux/amd64, linux/arm64' });
    expect(c.apps.map((a) => [a.name, a.maxVersions, a.platforms])).toEqual([
      ['a', 3, ['linux/amd64', 'linux/arm64']], ['b', 3, ['linux/amd64', 'linux/arm64']],
    ]);
    expect(c.hash).not.toBe(resolve({}).hash);
  });

  it('MIRROR_MULTI_ARCH=false builds amd64 only; bad values are config errors naming the variable', () => {
    expect(resolve({ MIRROR_MULTI_ARCH: 'false' }).apps.map((a) => a.platforms)).toEqual([['linux/amd64'], ['linux/amd64']]);
    expect(resolve({ MIRROR_MULTI_ARCH: 'true' }).apps[0].platforms).toEqual(['linux/arm64']);
    expect(() => resolve({ MIRROR_MAX_VERSIONS: 'ten' })).toThrow(ConfigError);
    expect(() => resolve({ MIRROR_MAX_VERSIONS: 'ten' })).toThrow(/MIRROR_MAX_VERSIONS: expected a whole number ≥ 1, got "ten"/);
    expect(() => resolve({ MIRROR_MULTI_ARCH: 'yes' })).toThrow(/MIRROR_MULTI_ARCH: expected true or false/);
    expect(() => resolve({ MIRROR_PLATFORMS: 'arm64' })).toThrow(/MIRROR_PLATFORMS: "arm64" is not os\/arch/);
  });
});

describe('an override the schema refuses is named by its variable, not by config paths', () => {
  const issues = (env: Record<string, string>) => {
    try { resolve(env); } catch (error) { if (error instanceof ConfigError) return [...error.issues]; throw error; }
    return [];
  };
  it('MIRROR_MAX_VERSIONS too big: one issue naming the variable and its value', () => {
    expect(issues({ MIRROR_MAX_VERSIONS: '1000000' })).toEqual(['MIRROR_MAX_VERSIONS=1000000: Too big: expected number to be <=1000']);
  });
  it('MIRROR_NAMESPACE that makes registry.url invalid', () => {
    expect(issues({ MIRROR_NAMESPACE: 'Team' })).toEqual([expect.stringMatching(/^MIRROR_NAMESPACE=Team: "ghcr\.io\/Team" is not host\[:port\]\/namespace\. Repository paths are lower case/)]);
  });
  it('issues the overrides did not cause pass unchanged', () => {
    expect(attributeToOverrides(['apps.a.source.git: Required', 'defaults.maxVersions: Too big'], { MIRROR_REGISTRY: 'ghcr.io/x' }))
      .toEqual(['apps.a.source.git: Required', 'defaults.maxVersions: Too big']);
  });
});
