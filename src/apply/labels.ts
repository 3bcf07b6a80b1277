/** The OCI labels every image gets (SPEC §2); the source URL loses any credential first (it is published with the image). */
import { withoutCredentials } from '../system/redact-url.js';

/** `org.opencontainers.image.*` labels of one build. */
export function imageLabels(input: { version: string; git: string; commit: string; title: string; created?: Date }): Record<string, string> {
  return {
    'org.opencontainers.image.version': input.version,
    'org.opencontainers.image.source': withoutCredentials(input.git),
    'org.opencontainers.image.revision': input.commit,
    'org.opencontainers.image.created': (input.created ?? new Date()).toISOString(),
    'org.opencontainers.image.title': input.title,
  };
}
