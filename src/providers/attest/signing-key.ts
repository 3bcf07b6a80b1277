/**
 * The local signing key of `attest.sign: { key }`: an ECDSA P-256 private key in PEM, read from
 * `env:NAME` (the secret never lives in the config file) or from a file beside the config.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AbortError } from '../../errors.js';

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const HOW = 'Generate one with: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt';

/** A P-256 key pair and the hint that names its public key in bundles. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM of the public key. */
  publicPem: string;
  /** sha256 of the DER public key, hex: the bundle's `publicKey.hint` (cosign's keyid habit). */
  hint: string;
}

/** The warning for a private key file other users can read (ssh's rule: group and other bits must be 0), or undefined. */
export function keyFileModeWarning(file: string, mode: number, what = 'attest.sign.key'): string | undefined {
  if ((mode & 0o077) === 0) return undefined;
  return `${what}: key file ${file} is readable by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); restrict it: chmod 600 ${file}`;
}

/**
 * The PEM text of `env:NAME` or a file path (relative to baseDir); the value itself is never echoed.
 * A key file open to other users is used, with a warning naming it (`warn`).
 */
export async function readKeyText(ref: string, env: NodeJS.ProcessEnv, baseDir: string, what = 'attest.sign.key', warn?: (message: string) => void): Promise<string> {
  const m = ENV_REF.exec(ref);
  if (m) {
    const value = env[m[1]];
    if (!value) throw new AbortError(`${what}: environment variable ${m[1]} is not set.`, `Set ${m[1]} to a PEM ECDSA P-256 private key. ${HOW}`);
    // CI secrets are often stored base64-encoded to survive newline mangling.
    return value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
  }
  const file = path.resolve(baseDir, ref);
  try {
    const text = await readFile(file, 'utf8');
    const warning = keyFileModeWarning(file, (await stat(file)).mode, what);
    if (warning) warn?.(warning);
    return text;
  } catch (error) {
    throw new AbortError(`${what}: cannot read key file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, `Point it at a PEM file or use 'env:NAME'. ${HOW}`);
  }
}

/** hint of a public key: sha256 of its SPKI DER. */
export function keyHint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Parse a private key PEM and insist on ECDSA P-256 (what Sigstore's key-based bundles use). */
export function parseSigningKey(pem: string, what = 'attest.sign.key'): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new AbortError(`${what} is not an unencrypted PEM private key.`, HOW);
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new AbortError(`${what} is a ${privateKey.asymmetricKeyType} key${privateKey.asymmetricKeyDetails?.namedCurve ? ` on ${privateKey.asymmetricKeyDetails.namedCurve}` : ''}; mirror signs with ECDSA P-256.`, HOW);
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), hint: keyHint(publicKey) };
}

/** A public key for verification from PEM: a public key, or the public half of a private key. */
export function parsePublicKey(pem: string, what: string): KeyObject {
  try {
    return pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch {
    throw new AbortError(`${what} is not a PEM public or private key.`);
  }
}
