import { describe, expect, it } from 'vitest';
import { buildAddress, indexAddress, matchesTarget, parseAddress, tagAddress } from './addresses.js';

describe('addresses', () => {
  it('omits the image segment when the image is named like its app', () => {
    expect(buildAddress('mattermost', 'mattermost', '10.3.1', 'linux/arm64')).toBe('mattermost@10.3.1/linux/arm64');
    expect(indexAddress('outline', 'base-outline', '1.9.2')).toBe('outline/base-outline@1.9.2');
    expect(tagAddress('outline', 'outline', 'latest')).toBe('outline:latest');
  });

  it('parses every shape and refuses garbage with the accepted shapes', () => {
    expect(parseAddress('outline/base-outline@1.9.2/linux/arm64/v8')).toEqual({ app: 'outline', image: 'base-outline', version: '1.9.2', platform: 'linux/arm64/v8' });
    expect(parseAddress('mattermost:latest')).toEqual({ app: 'mattermost', tag: 'latest' });
    expect(() => parseAddress('mattermost@1.0.0; rm -rf /')).toThrow(/is not a resource address/);
  });

  it('matches a target and everything under it, nothing beside it', () => {
    expect(matchesTarget('mattermost@10.3.1/linux/arm64', 'mattermost')).toBe(true);
    expect(matchesTarget('mattermost@10.3.1/linux/arm64', 'mattermost@10.3.1')).toBe(true);
    expect(matchesTarget('mattermost@10.3.10', 'mattermost@10.3.1')).toBe(false);
    expect(matchesTarget('mattermost-x@1.0.0', 'mattermost')).toBe(false);
    expect(matchesTarget('outline/base-outline@1.9.2', 'outline')).toBe(true);
    expect(matchesTarget('outline/base-outline@1.9.2', 'outline/outline')).toBe(false);
    expect(matchesTarget('mattermost:latest', 'mattermost@10.3.1')).toBe(false);
  });
});
