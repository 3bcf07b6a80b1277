import type { MirrorConfig } from './src/index.js';

// The three apps the old GitHub Actions pipeline mirrored (seed 000), against their real upstreams.
export default {
  registry: {
    url: 'ghcr.io/this-is-tobi/mirror', // host[:port]/namespace, or 'oci:./.mirror/oci' (embedded OCI layout)
    insecure: false,
    username: 'env:MIRROR_REGISTRY_USERNAME', password: 'env:MIRROR_REGISTRY_PASSWORD', // optional; else docker config
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
      context: 'server/build', dockerfile: 'server/build/Dockerfile',
      buildArgs: { MM_PACKAGE: 'https://releases.mattermost.com/{version}/mattermost-{version}-linux-{arch}.tar.gz?src=docker' },
      patches: [{ unpinDigests: true }],
    },
    mostlymatter: {
      upstream: {
        type: 'gitlab-tags', baseUrl: 'https://framagit.org', project: 'framasoft/framateam/mostlymatter',
        tagPattern: '^v(\\d+\\.\\d+\\.\\d+)-limitless$',
      },
      requires: ['https://packages.framasoft.org/projects/mostlymatter/mostlymatter-{arch}-v{version}'],
      source: { git: 'https://framagit.org/framasoft/framateam/mostlymatter.git', ref: '{tag}' },
      context: 'server/build', dockerfile: 'server/build/Dockerfile',
      buildArgs: {
        MM_PACKAGE: 'https://releases.mattermost.com/{version}/mattermost-{version}-linux-{arch}.tar.gz',
        MOSTLYMATTER_BINARY: 'https://packages.framasoft.org/projects/mostlymatter/mostlymatter-{arch}-v{version}',
      },
      patches: [
        { unpinDigests: true },
        { file: 'server/build/Dockerfile', after: '^ARG MM_PACKAGE=.*$', insert: 'ARG MOSTLYMATTER_BINARY' },
        {
          file: 'server/build/Dockerfile', replace: 'curl -L $MM_PACKAGE | tar -xvz',
          with: 'curl -L $MM_PACKAGE | tar -xvz && rm /mattermost/bin/mattermost && curl -L $MOSTLYMATTER_BINARY -o /mattermost/bin/mattermost && chmod +x /mattermost/bin/mattermost',
        },
      ],
    },
    outline: {
      upstream: { type: 'github-releases', repository: 'outline/outline' },
      source: { git: 'https://github.com/outline/outline.git', ref: 'v{version}' },
      images: {
        'base-outline': { dockerfile: 'Dockerfile.base' },
        outline: {
          dockerfile: 'Dockerfile', dependsOn: ['base-outline'],
          buildArgs: { BASE_IMAGE: '{image:base-outline}' }, // resolves to repo@digest of the same version
        },
      },
    },
  },
} satisfies MirrorConfig;
