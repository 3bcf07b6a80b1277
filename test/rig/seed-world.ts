/**
 * The seed-shaped world (seed 000): Mattermost and Outline on GitHub releases, Mostlymatter on
 * GitLab tags with `-limitless` tags and `requires` probes. Used by the e2e tests and `npm run demo`.
 * Deliberately awkward: prereleases, a draft, odd tags, a backport published after newer versions,
 * and a Mostlymatter version whose arm64 binary is missing (its probe drops it).
 */

/** A GitHub release as the emulator serves it (newest first, as GitHub lists by creation). */
export interface SeedRelease {
  tag_name: string;
  draft?: boolean;
  prerelease?: boolean;
}

/** GitHub: mattermost/mattermost, newest first by creation date (a 9.11 backport was cut last). */
export const MATTERMOST_RELEASES: SeedRelease[] = [
  { tag_name: 'v9.11.12' },
  { tag_name: 'v10.5.0-rc1', prerelease: true },
  { tag_name: 'v10.4.1' },
  { tag_name: 'v10.5.0', draft: true },
  { tag_name: 'v10.4.0' },
  { tag_name: 'v10.3.2' },
  { tag_name: 'v10.3.1' },
  { tag_name: 'v10.3.0' },
  { tag_name: 'v10.2.1' },
  { tag_name: 'v10.2.0' },
  { tag_name: 'server-$(touch /tmp/pwned)' },
  { tag_name: 'v10.1.3' },
  { tag_name: 'v10.1.2' },
  { tag_name: 'v10.1.1' },
  { tag_name: 'v10.1.0' },
  { tag_name: 'v10.0.9' },
];

/** GitLab: framasoft/framateam/mostlymatter tags (names only; the emulator adds commit fields). */
export const MOSTLYMATTER_TAGS: string[] = [
  'v10.4.1-limitless', 'v10.4.1', 'v10.4.0-limitless', 'v10.4.0', 'v10.3.2-limitless',
  'v10.3.1-limitless', 'v10.3.0-limitless', 'v10.2.1-limitless', 'v10.2.0-limitless',
  'v10.5.0-rc1-limitless', 'v10.1.3-limitless', 'v10.1.2-limitless', 'v10.1.1-limitless',
  'v10.1.0-limitless', 'v10.0.9-limitless', 'v9.11.12-limitless',
];

/** Mostlymatter versions whose binary exists only for amd64: the `requires` probe drops them. */
export const MOSTLYMATTER_MISSING_ARM64 = ['10.3.2'];

/** GitHub: outline/outline, with a 1.9.10 that string ordering would put below 1.9.2. */
export const OUTLINE_RELEASES: SeedRelease[] = [
  { tag_name: 'v1.10.0' },
  { tag_name: 'v1.9.10' },
  { tag_name: 'v1.9.2' },
  { tag_name: 'v1.9.1' },
  { tag_name: 'v1.9.0' },
  { tag_name: 'v1.9.0-beta.2', prerelease: true },
];

/** `requires` path of a Mostlymatter binary on the emulator's file server. */
export function mostlymatterBinaryPath(arch: string, version: string): string {
  return `/projects/mostlymatter/mostlymatter-${arch}-v${version}`;
}
