/**
 * Where a registry's bearer challenge may send mirror's credentials. The realm comes from the
 * registry's answer (or whatever sits between mirror and it): `Bearer realm="http://…"` from an
 * https registry would have mirror send the Basic header in clear. A registry reached over plain
 * HTTP (registry.insecure, a local registry) already gets the credentials in clear, so its realm
 * may be plain HTTP too: today's local behaviour, unchanged.
 */
import { withoutCredentials } from '../../system/redact-url.js';
import { RegistryError } from './errors.js';

/** Throw unless `realm` may receive credentials for a registry at `origin` (`https://host` or `http://host`). */
export function assertRealmScheme(realm: URL, origin: string, reference: string): void {
  if (realm.protocol === 'https:') return;
  const registryScheme = new URL(origin).protocol;
  if (realm.protocol === 'http:' && registryScheme === 'http:') return;
  throw new RegistryError(reference,
    `registry ${origin} sent its token realm ${withoutCredentials(realm.href)}, which is not https: refusing to send credentials there in clear.`,
    'The registry (or something between mirror and it) is misconfigured; its token service must be https like the registry.');
}
