/** Parsing of `registry.url`, image references, tags and digests (the bottom layer, no I/O). */
import { AbortError } from '../errors.js';

/** OCI distribution tag grammar. */
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** The only digest algorithm mirror writes and accepts. */
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** One repository path component, the grammar of app and image names (`base-outline`). */
export const NAME_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** `os/arch[/variant]` (`linux/arm64/v8`): config, plan, state and trivy's --platform. */
export const PLATFORM_RE = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
const HOST_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;
const PATH_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Whether a string is a valid OCI tag. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** Whether a string is a sha256 digest. */
export function isDigest(ref: string): boolean {
  return DIGEST_RE.test(ref);
}

/** Where `registry.url` points. */
export type RegistryLocation =
  | { kind: 'http'; host: string; namespace: string }
  | { kind: 'oci'; dir: string };

/** Parse `host[:port]/namespace` or `oci:<dir>`. */
export function parseRegistryUrl(url: string): RegistryLocation {
  if (url.startsWith('oci:')) {
    const dir = url.slice(4);
    if (!dir) throw new AbortError('registry.url "oci:" needs a directory, e.g. oci:./.mirror/oci.');
    return { kind: 'oci', dir };
  }
  const cleaned = url.replace(/^(https?|docker):\/\//, '').replace(/\/+$/, '');
  const [host, ...rest] = cleaned.split('/');
  const namespace = rest.join('/');
  if (!HOST_RE.test(host) || (namespace && !PATH_RE.test(namespace))) {
    // `user:password@host` is a common mistake; the error must not print the password, which may
    // itself hold an unencoded `@` (everything up to the last one goes).
    const at = url.lastIndexOf('@');
    const shown = at >= 0 ? `***@${url.slice(at + 1)}` : url;
    const upper = !url.includes('@') && HOST_RE.test(host) && PATH_RE.test(namespace.toLowerCase());
    const hint = url.includes('@') ? 'Credentials go in registry.username/password (e.g. env:MIRROR_REGISTRY_PASSWORD), not in the URL. '
      : upper ? `Repository paths are lower case (${host}/${namespace.toLowerCase()}). ` : '';
    throw new AbortError(`registry.url "${shown}" is not host[:port]/namespace.`, `${hint}Example: ghcr.io/my-org/mirror, or oci:./.mirror/oci for a directory.`);
  }
  return { kind: 'http', host: host === 'docker.io' ? 'registry-1.docker.io' : host, namespace };
}

/** A parsed image reference. */
export interface ImageReference {
  host: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parse `host[:port]/path[:tag][@sha256:…]`; Docker Hub short names get `library/` and its API host. */
export function parseImageReference(ref: string): ImageReference {
  const invalid = () => new AbortError(`"${ref}" is not a valid image reference.`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  // Stryker disable next-line EqualityOperator: a leading `@` leaves no repository either way, and that is refused below
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  if (digest !== undefined && !isDigest(digest)) throw invalid();
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) throw invalid();
  }
  const parts = rest.split('/');
  let host = 'registry-1.docker.io';
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) host = parts.shift() as string;
  if (host === 'docker.io') host = 'registry-1.docker.io';
  if (host === 'registry-1.docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (!PATH_RE.test(repository)) throw invalid();
  return { host, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
