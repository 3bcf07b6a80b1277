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

  it('lists what the config has in the next step, and suggests nothing for a far-off name', () => {
    const refusal = (fn: () => void) => { try { fn(); } catch (e) { return e as { message: string; nextSteps?: string }; } throw new Error('not refused'); };
    expect(refusal(() => checkTargets(config, ['zzz']))).toMatchObject({ message: '--target zzz: the config has no app "zzz".', nextSteps: 'Apps: mattermost, outline.' });
    expect(refusal(() => checkTargets(config, ['outline/zzz']))).toMatchObject({ message: '--target outline/zzz: app outline has no image "zzz".', nextSteps: 'Images of outline: base-outline, outline.' });
    expect(refusal(() => checkTargets(config, ['mattermost@1.0.0/zzz/qqq']))).toMatchObject({ message: '--target mattermost@1.0.0/zzz/qqq: app mattermost is not built for zzz/qqq.', nextSteps: 'Platforms of mattermost: linux/amd64, linux/arm64.' });
    expect(refusal(() => checkPlatform(config, 'windows/386'))).toMatchObject({ message: '--platform windows/386: no app in scope is built for that platform.', nextSteps: 'Known: linux/amd64, linux/arm64.' });
  });

  it('--platform is checked against every app a target names, and not at all when not given', () => {
    expect(() => checkPlatform(config, 'linux/arm64', ['outline', 'mattermost@1.0.0'])).not.toThrow();
    expect(() => checkPlatform(config, undefined, ['outline'])).not.toThrow();
  });

  it('closest: the first of equally near names, and up to a third of a long name as typos', () => {
    expect(closest('ab', ['ac', 'ad'])).toBe('ac');
    // 13 characters allow 4 edits; 3 are made here
    expect(closest('mattermostxyz', ['mattermost'])).toBe('mattermost');
    expect(closest('mattermostwxyz', ['mattermost'])).toBe('mattermost');
    expect(closest('abcdef', ['abcxyz'])).toBeUndefined();
  });
});
