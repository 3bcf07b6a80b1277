/**
 * Checking a Sigstore bundle with @sigstore/verify, offline for keys: a zero-threshold Verifier
 * (no transparency log or timestamp is expected of a locally signed bundle) whose only trusted key
 * is the one given. Keyless bundles are checked against the Sigstore trusted root with the usual
 * thresholds and a certificate identity + OIDC issuer policy.
 */
import type { KeyObject } from 'node:crypto';
import { bundleFromJSON, isBundleWithDsseEnvelope } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type VerificationPolicy } from '@sigstore/verify';

/** How a bundle must have been signed. */
export type TrustPolicy =
  | { type: 'key'; publicKey: KeyObject }
  | { type: 'keyless'; identity: string; issuer: string; trustedRoot: TrustedRoot };

/** What a verified bundle carries. */
export interface VerifiedPayload {
  payloadType: string;
  payload: Buffer;
}

/** A bundle that does not verify: the reason is one line for the verify table. */
export class BundleInvalidError extends Error {}

const EMPTY_ROOT = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });

function verifierFor(policy: TrustPolicy): { verifier: Verifier; identity?: VerificationPolicy } {
  if (policy.type === 'key') {
    // @sigstore/verify asks validFor only for a timestamp; a key bundle's only kind (a tlog entry)
    // fails against the empty root anyway, so no bundle verifies or fails because of this answer.
    // Stryker disable next-line ArrowFunction,BooleanLiteral: see above, never decisive
    const anyTime = () => true;
    const trust = toTrustMaterial(EMPTY_ROOT, () => ({ publicKey: policy.publicKey, validFor: anyTime }));
    return { verifier: new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }) };
  }
  return { verifier: new Verifier(toTrustMaterial(policy.trustedRoot)), identity: identityPolicy(policy.identity, policy.issuer) };
}

/**
 * The keyless signer policy: exactly this identity and issuer. @sigstore/verify matches the
 * identity with `String.match`, i.e. as an unanchored regular expression, so a bare workflow URL
 * also accepted `…/mirror.yml@refs/heads/main-evil` (any branch of the repo) and `.` as any
 * character; cosign's --certificate-identity is an exact match, so is this.
 */
export function identityPolicy(identity: string, issuer: string): VerificationPolicy {
  return { subjectAlternativeName: `^${identity.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, extensions: { issuer } };
}

/** Verify a serialized DSSE bundle; returns its payload or throws BundleInvalidError with why. */
export function verifyBundle(json: unknown, policy: TrustPolicy): VerifiedPayload {
  let bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (error) {
    throw new BundleInvalidError(`not a Sigstore bundle (${(error as Error).message})`);
  }
  if (!isBundleWithDsseEnvelope(bundle)) throw new BundleInvalidError('the bundle holds no DSSE envelope');
  if (policy.type === 'key' && bundle.verificationMaterial.content.$case !== 'publicKey') {
    throw new BundleInvalidError('signed keyless, but a key was given to verify with');
  }
  if (policy.type === 'keyless' && bundle.verificationMaterial.content.$case === 'publicKey') {
    throw new BundleInvalidError('signed with a key, but keyless identity was given to verify with');
  }
  const { verifier, identity } = verifierFor(policy);
  try {
    verifier.verify(toSignedEntity(bundle), identity);
  } catch (error) {
    const message = (error as Error).message;
    // @sigstore/verify prints the anchored, escaped pattern identityPolicy built; say it as given.
    // Stryker disable next-line Regex,ConditionalExpression: the library's one message format matches with or without anchors, and a key bundle never fails on identity
    const got = policy.type === 'keyless' && /^certificate identity error - expected .*, got (.*)$/.exec(message)?.[1];
    throw new BundleInvalidError(got ? `certificate identity is ${got}, expected ${policy.identity}` : `signature does not verify (${message})`);
  }
  const envelope = bundle.content.dsseEnvelope;
  return { payloadType: envelope.payloadType, payload: Buffer.from(envelope.payload) };
}
