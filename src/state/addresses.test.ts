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

  it('matches tag, image and platform targets by their parts, and never an address it cannot parse', () => {
    // a tag target is that tag only
    expect(matchesTarget('mattermost:latest', 'mattermost:latest')).toBe(true);
    expect(matchesTarget('mattermost:10.3', 'mattermost:latest')).toBe(false);
    expect(matchesTarget('mattermost@10.3.1', 'mattermost:latest')).toBe(false);
    // an explicit image target covers the same image written without it
    expect(matchesTarget('outline@1.9.2', 'outline/outline')).toBe(true);
    expect(matchesTarget('outline/outline@1.9.2/linux/amd64', 'outline/outline@1.9.2/linux/amd64')).toBe(true);
    // a platform target is that build only; its spelling with the image omitted agrees
    expect(matchesTarget('outline@1.9.2/linux/arm64', 'outline/outline@1.9.2/linux/arm64')).toBe(true);
    expect(matchesTarget('outline@1.9.2/linux/amd64', 'outline/outline@1.9.2/linux/arm64')).toBe(false);
    expect(matchesTarget('outline@1.9.2', 'outline@1.9.2/linux/arm64')).toBe(false);
    // a record under an unparseable address (a hand-edited state) is in no target's scope
    expect(matchesTarget('mattermost@1.0.0; rm -rf /', 'mattermost')).toBe(false);
    expect(() => matchesTarget('mattermost', 'not an address')).toThrow(/is not a resource address/);
  });
});

