/**
 * Registry credentials from the config (`registry.username/password`, often `env:` references in
 * CI) for buildah's pulls of base images on that registry (Outline's app is built FROM the base
 * mirror pushed there). Never on the command line (`--creds` shows in `ps`): a 0600 auth file in
 * the builder's temp dir, named by REGISTRY_AUTH_FILE and deleted on close. containers/image reads
 * that file first and still falls back to its usual places (auth.json, ~/.docker/config.json), so
 * logins to other registries keep working.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Credentials of one registry host, for builds. */
export interface BuildCredentials {
  host: string;
  username: string;
  password: string;
}

/** The auth.json text for `creds` (the docker config `auths` shape containers/image reads). */
export function authFileContent(creds: BuildCredentials): string {
  const auth = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
  return `${JSON.stringify({ auths: { [creds.host]: { auth } } })}\n`;
}

/** Write the auth file into `dir` (owner-only); returns its path, for REGISTRY_AUTH_FILE. */
export async function writeAuthFile(dir: string, creds: BuildCredentials): Promise<string> {
  const file = path.join(dir, 'auth.json');
  await writeFile(file, authFileContent(creds), { mode: 0o600 });
  return file;
}
