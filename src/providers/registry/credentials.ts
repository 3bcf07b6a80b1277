/**
 * Where registry credentials come from, first match wins (SPEC §6b): the config (`env:`
 * references resolved), then the files buildah, podman and docker write (see auth-files.ts),
 * each read as its tool reads it: `credHelpers` for the host, then `credsStore`, then `auths`.
 * The source is kept (never the secret), and every place looked at, so a 401 can say which
 * credentials were rejected or where none were found.
 */
import { readFile } from 'node:fs/promises';
import { authFileLocations, findAuthEntry, findHelper, helperKey, type AuthFileContent } from './auth-files.js';

/** Credentials for one registry host, and where they came from. */
export interface Credentials {
  username?: string;
  password?: string;
  /**
   * An OAuth2 refresh token (`identitytoken` in the file, or a helper answering Username
   * `<token>`): exchanged at the token realm with grant_type=refresh_token, never sent as a password.
   */
  identityToken?: string;
  /** `config`, `REGISTRY_AUTH_FILE /path`, `docker-credential-pass`, … or `anonymous`. */
  source: string;
  /** Every place looked at, in order, with what was found there (for the "none found" error). */
  searched: string[];
}

/** What a `docker-credential-*` helper said. */
type HelperAnswer = { username?: string; secret: string } | { missing: string };

async function askHelper(helper: string, key: string, env: NodeJS.ProcessEnv): Promise<HelperAnswer> {
  // The helper name comes from a file the user controls; still, it must be a plain name.
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return { missing: 'not a helper name' };
  // execa is imported here, not at the top: a plan that needs no credential helper never loads it (~100 ms).
  const { execa } = await import('execa');
  const result = await execa(`docker-credential-${helper}`, ['get'], {
    input: key, reject: false, timeout: 15_000, ...(env.PATH ? { env: { PATH: env.PATH } } : {}),
  });
  if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(result.message ?? ''))) return { missing: 'not installed' };
  if (result.exitCode !== 0) return { missing: `no credentials for ${key}` };
  try {
    const { Username, Secret } = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
    return Secret ? { username: Username, secret: Secret } : { missing: `no credentials for ${key}` };
  } catch {
    return { missing: 'answered something that is not JSON' };
  }
}

function fromHelperAnswer(answer: { username?: string; secret: string }, source: string, searched: string[]): Credentials {
  // docker-credential-helpers: Username "<token>" marks the secret as an identity (refresh) token.
  if (answer.username === '<token>') return { identityToken: answer.secret, source, searched };
  return { username: answer.username, password: answer.secret, source, searched };
}

async function readAuthFile(file: string): Promise<AuthFileContent | 'missing' | 'unreadable'> {
  let text: string;
  try { text = await readFile(file, 'utf8'); } catch { return 'missing'; }
  try {
    const json = JSON.parse(text) as unknown;
    return json && typeof json === 'object' ? json as AuthFileContent : 'unreadable';
  } catch { return 'unreadable'; }
}

/** Credentials of one file for a host, or undefined (with what was seen appended to `searched`). */
async function fromFile(content: AuthFileContent, where: string, host: string, repository: string, env: NodeJS.ProcessEnv, searched: string[]): Promise<Credentials | undefined> {
  const key = helperKey(host);
  const helper = findHelper(content, host);
  if (helper) {
    const answer = await askHelper(helper, key, env);
    if ('secret' in answer) return fromHelperAnswer(answer, `docker-credential-${helper} (credHelpers in ${where})`, searched);
    searched.push(`docker-credential-${helper} from credHelpers in ${where}: ${answer.missing}`);
  }
  if (content.credsStore) {
    const answer = await askHelper(content.credsStore, key, env);
    if ('secret' in answer) return fromHelperAnswer(answer, `docker-credential-${content.credsStore} (credsStore in ${where})`, searched);
    searched.push(`docker-credential-${content.credsStore} from credsStore in ${where}: ${answer.missing}`);
  }
  const found = findAuthEntry(content, host, repository);
  if (found) {
    const { entry } = found;
    const source = `${where} (auths "${found.key}")`;
    if (entry.identitytoken) return { username: entry.username, identityToken: entry.identitytoken, source, searched };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1), source, searched };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, source, searched };
    searched.push(`${where}: auths "${found.key}" holds no usable credentials`);
    return undefined;
  }
  searched.push(`${where}: no entry for ${host}`);
  return undefined;
}

/** Resolve credentials for a host (and the repository path under it, for namespace-scoped auth.json keys). */
export async function resolveCredentials(host: string, explicit: { username?: string; password?: string }, env: NodeJS.ProcessEnv = process.env, repository = ''): Promise<Credentials> {
  if (explicit.username || explicit.password) return { ...explicit, source: 'config', searched: ['config registry.username/password'] };
  const searched = ['config registry.username/password: not set'];
  for (const { file, label } of authFileLocations(env)) {
    const where = `${label} ${file}`;
    const content = await readAuthFile(file);
    if (content === 'missing') { searched.push(`${where}: no such file`); continue; }
    if (content === 'unreadable') { searched.push(`${where}: not valid JSON`); continue; }
    const found = await fromFile(content, where, host, repository, env, searched);
    if (found) return found;
  }
  return { source: 'anonymous', searched };
}
