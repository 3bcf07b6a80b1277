import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { checkPlatform, checkTargets, closest } from './scope.js';

const config = resolveConfig({
  registry: { url: 'localhost:5000/m' },
  defaults: { platforms: ['linux/amd64', 'linux/arm64'] },
  apps: {
    mattermost: { upstream: { type: 'git-tags', url: 'file:///x' }, source: { git: 'g', ref: 'v{version}' } },
    outline: { upstream: { type: 'git-tags', url: 'file:///y' }, source: { git: 'g', ref: 'v{version}' }, platforms: ['linux/amd64'],
      images: { 'base-outline': {}, outline: { dependsOn: ['base-outline'] } } },
  },
}, '/x/mirror.config.json', {});

describe('target and platform scope', () => {
  it('closest suggests a near name and nothing for a far one', () => {
    expect(closest('mattermots', ['mattermost', 'outline'])).toBe('mattermost');
    expect(closest('zzz', ['mattermost', 'outline'])).toBeUndefined();
  });

  it('accepts what the config has', () => {
    expect(() => checkTargets(config, ['mattermost', 'mattermost@1.0.0/linux/arm64', 'outline/base-outline@1.0.0', 'outline:latest'])).not.toThrow();
    expect(() => checkPlatform(config, 'linux/arm64')).not.toThrow();
  });

  it('refuses an unknown app, image or platform with a suggestion', () => {
    expect(() => checkTargets(config, ['outlien'])).toThrow('--target outlien: the config has no app "outlien". Did you mean outline?');
    expect(() => checkTargets(config, ['outline/outlnie@1.0.0'])).toThrow('app outline has no image "outlnie". Did you mean outline/outline@1.0.0?');
    expect(() => checkTargets(config, ['outline@1.0.0/linux/arm64'])).toThrow('app outline is not built for linux/arm64. Did you mean outline@1.0.0/linux/amd64?');
    // --platform within --target scope: outline builds amd64 only
    expect(() => checkPlatform(config, 'linux/arm64', ['outline'])).toThrow('--platform linux/arm64: no app in scope is built for that platform. Did you mean linux/amd64?');
  });
});
