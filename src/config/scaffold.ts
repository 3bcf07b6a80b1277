/** The starter config `mirror init` writes: one app, every key shown with its default. */
export function scaffoldConfig(registry: string): string {
  return `import type { MirrorConfig } from 'multiarch-mirror';

// Desired state: the last \`maxVersions\` upstream releases of each app, one multi-arch image each.
export default {
  registry: {
    url: ${JSON.stringify(registry)},
    // username: 'env:MIRROR_REGISTRY_USERNAME', password: 'env:MIRROR_REGISTRY_PASSWORD',
  },
  state: { path: '.mirror/state.json' },
  defaults: {
    maxVersions: 10,
    platforms: ['linux/amd64', 'linux/arm64'],
    builder: 'auto',
    floatingTags: ['latest'],
    attest: { sbom: true, provenance: true, sign: 'keyless' },
    retention: null,
  },
  apps: {
    mattermost: {
      upstream: { type: 'github-releases', repository: 'mattermost/mattermost' },
      source: { git: 'https://github.com/mattermost/mattermost.git', ref: 'v{version}' },
      context: 'server/build',
      dockerfile: 'server/build/Dockerfile',
      buildArgs: { MM_PACKAGE: 'https://releases.mattermost.com/{version}/mattermost-{version}-linux-{arch}.tar.gz?src=docker' },
      patches: [{ unpinDigests: true }],
    },
  },
} satisfies MirrorConfig;
`;
}
