/**
 * Signing through the sigstore JS libraries: every payload becomes a DSSE Sigstore bundle (v0.3).
 * Key-based: a local P-256 key, no witnesses, fully offline. Keyless (GitHub Actions): an OIDC
 * token → Fulcio certificate for an ephemeral key → Rekor transparency-log entry.
 */
import { sign as cryptoSign } from 'node:crypto';
import { bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, DSSEBundleBuilder, FulcioSigner, RekorWitness, type IdentityProvider, type Signer } from '@sigstore/sign';
import { AbortError } from '../../errors.js';
import type { SigningKey } from './signing-key.js';

/** Signs payloads into serialized bundles. */
export interface PayloadSigner {
  /** What signs, for messages (`key sha256:ab12…` or `keyless (Fulcio)`). */
  readonly description: string;
  sign(payloadType: string, payload: Buffer): Promise<SerializedBundle>;
}

/** @sigstore/sign Signer over a local key: ECDSA P-256 SHA-256, DER signature, public key hint. */
export class LocalKeySigner implements Signer {
  constructor(private readonly key: SigningKey) {}
  async sign(data: Buffer) {
    return { signature: cryptoSign('sha256', data, this.key.privateKey), key: { $case: 'publicKey' as const, publicKey: this.key.publicPem, hint: this.key.hint } };
  }
}

/** Bundles signed with a local key; no transparency log (offline). */
export function keySigner(key: SigningKey): PayloadSigner {
  const builder = new DSSEBundleBuilder({ signer: new LocalKeySigner(key), witnesses: [] });
  return {
    description: `key ${key.hint.slice(0, 12)}…`,
    sign: async (type, data) => bundleToJSON(await builder.create({ type, data })),
  };
}

/**
 * The GitHub Actions OIDC token (audience `sigstore`), or SIGSTORE_ID_TOKEN as cosign reads it.
 * Reads the env it is given, not process.env, so what mirror was run with is what it uses.
 */
export class OidcTokenProvider implements IdentityProvider {
  constructor(private readonly env: NodeJS.ProcessEnv, private readonly fetcher: typeof fetch = fetch) {}

  /** Why no token can be had, or undefined when one can. */
  static unavailable(env: NodeJS.ProcessEnv): string | undefined {
    if (env.SIGSTORE_ID_TOKEN) return undefined;
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL) return 'ACTIONS_ID_TOKEN_REQUEST_URL is not set';
    if (!env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return 'ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set';
    return undefined;
  }

  async getToken(): Promise<string> {
    if (this.env.SIGSTORE_ID_TOKEN) return this.env.SIGSTORE_ID_TOKEN;
    const why = OidcTokenProvider.unavailable(this.env);
    if (why) throw keylessUnavailable(why);
    const url = new URL(this.env.ACTIONS_ID_TOKEN_REQUEST_URL as string);
    url.searchParams.set('audience', 'sigstore');
    const res = await this.fetcher(url, { headers: { accept: 'application/json', authorization: `Bearer ${this.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` } });
    if (!res.ok) throw new AbortError(`GitHub Actions refused an OIDC token for keyless signing (HTTP ${res.status}).`, 'Check that the job has `permissions: id-token: write`.');
    const body = (await res.json()) as { value?: unknown };
    if (typeof body.value !== 'string' || body.value === '') throw new AbortError('GitHub Actions answered an OIDC token request without a token.');
    return body.value;
  }
}

/** The error of keyless signing without an OIDC token. */
export function keylessUnavailable(why: string): AbortError {
  return new AbortError(
    `attest.sign is 'keyless' but no OIDC token is available (${why}): keyless signing works in GitHub Actions with an id-token.`,
    "Give the job `permissions: id-token: write`, or sign with a key: attest: { sign: { key: 'env:MIRROR_SIGNING_KEY' } }, or turn signing off (sign: false, sbom: false, provenance: false).",
  );
}

/** Endpoints of keyless signing (overridable for a private Sigstore instance). */
export interface KeylessOptions {
  env: NodeJS.ProcessEnv;
  fulcioUrl?: string;
  rekorUrl?: string;
  fetcher?: typeof fetch;
}

/** Bundles signed with a Fulcio certificate and logged in Rekor (needs the network and an OIDC token). */
export function keylessSigner(opts: KeylessOptions): PayloadSigner {
  const why = OidcTokenProvider.unavailable(opts.env);
  if (why) throw keylessUnavailable(why);
  const fulcioBaseURL = opts.fulcioUrl ?? opts.env.MIRROR_FULCIO_URL ?? DEFAULT_FULCIO_URL;
  const rekorBaseURL = opts.rekorUrl ?? opts.env.MIRROR_REKOR_URL ?? DEFAULT_REKOR_URL;
  const builder = new DSSEBundleBuilder({
    signer: new FulcioSigner({ identityProvider: new OidcTokenProvider(opts.env, opts.fetcher), fulcioBaseURL }),
    witnesses: [new RekorWitness({ rekorBaseURL, entryType: 'dsse' })],
  });
  return {
    description: `keyless (${fulcioBaseURL})`,
    sign: async (type, data) => {
      try {
        return bundleToJSON(await builder.create({ type, data }));
      } catch (error) {
        if (error instanceof AbortError) throw error;
        throw new AbortError(`Keyless signing failed (Fulcio ${fulcioBaseURL}, Rekor ${rekorBaseURL}): ${(error as Error).message}`, 'Check that the job can reach Sigstore and has `permissions: id-token: write`.', { cause: error });
      }
    },
  };
}
