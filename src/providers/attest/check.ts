/**
 * Checks one attestation referrer of a version: the referrer is about the current index, its
 * bundle verifies under the trust policy, and the signed payload names the right digests. Every
 * kind is an in-toto statement with the index among its subjects, the rule sigstore-go applies
 * (verify.WithArtifactDigest) when `cosign verify` checks a bundle against an image digest.
 */
import { readArtifact } from '../registry/artifact.js';
import type { Descriptor, RegistryBackend } from '../registry/types.js';
import { BundleInvalidError, verifyBundle, type TrustPolicy } from './verify-bundle.js';
import { BUNDLE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE, PREDICATE_TYPES, SIMPLE_SIGNING_PAYLOAD_TYPE, STATEMENT_TYPE, type AttestationKind } from './types.js';

/** The verdict on one attestation kind of a version. */
export interface KindVerdict {
  /** `adopted`: provenance of a version mirror imported and did not build (it makes none); fails only `verify --strict`. */
  status: 'ok' | 'missing' | 'invalid' | 'off' | 'adopted';
  reason?: string;
  /** The referrer manifest checked. */
  referrer?: string;
}

const invalid = (reason: string, referrer?: string): KindVerdict => ({ status: 'invalid', reason, ...(referrer ? { referrer } : {}) });
const json = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, any>;

/** What the payload must say: the index digest and the digests of its platform manifests. */
export interface Expected {
  index: string;
  platforms: string[];
}

/** Check the payload of a verified bundle against the kind and the registry's digests. */
export function checkPayload(kind: AttestationKind, payloadType: string, payload: Buffer, expected: Expected): string | undefined {
  let body: Record<string, any>;
  try { body = JSON.parse(payload.toString('utf8')) as Record<string, any>; } catch { return 'the signed payload is not JSON'; }
  if (kind === 'signature' && payloadType === SIMPLE_SIGNING_PAYLOAD_TYPE) {
    return 'cosign\'s old simple-signing payload, which cosign v3 and sigstore-go reject; run mirror apply to attach a cosign v3 signature';
  }
  if (payloadType !== INTOTO_PAYLOAD_TYPE) return `payload type ${payloadType}, expected ${INTOTO_PAYLOAD_TYPE}`;
  if (body._type !== STATEMENT_TYPE) return `not an in-toto v1 statement (_type ${String(body._type)})`;
  if (body.predicateType !== PREDICATE_TYPES[kind]) return `predicate type ${String(body.predicateType)}, expected ${PREDICATE_TYPES[kind]}`;
  // Stryker disable next-line ArrayDeclaration: a placeholder subject reads as sha256:undefined, which names no index either
  const subjects = (Array.isArray(body.subject) ? body.subject : []).map((s: any) => `sha256:${String(s?.digest?.sha256)}`);
  if (!subjects.includes(expected.index)) return `its subjects do not include the index ${expected.index}`;
  // cosign v3's signature statement is about the index alone, with nothing in its predicate.
  if (kind === 'signature') {
    if (subjects.length !== 1) return `a signature statement names ${subjects.length} subjects, expected only the index`;
    if (!body.predicate || typeof body.predicate !== 'object' || Object.keys(body.predicate).length > 0) return 'a signature statement with a non-empty predicate';
  }
  const foreign = subjects.find((d: string) => d !== expected.index && !expected.platforms.includes(d));
  return foreign ? `subject ${foreign} is not a manifest of this index` : undefined;
}

/** Check the referrers of one kind (ideally exactly one) against the index and the policy. */
export async function checkReferrer(registry: RegistryBackend, image: string, kind: AttestationKind, referrers: Descriptor[], expected: Expected, policy: TrustPolicy): Promise<KindVerdict> {
  if (referrers.length === 0) return { status: 'missing' };
  if (referrers.length > 1) return invalid(`${referrers.length} ${kind} attestations attached (expected one)`);
  const ref = referrers[0].digest;
  let artifact;
  try {
    artifact = await readArtifact(registry, image, ref, BUNDLE_MEDIA_TYPE);
  } catch (error) {
    // A blob whose bytes do not match its digest: the registry client refuses it; that is tampering.
    return invalid((error as Error).message.split('\n')[0], ref);
  }
  if (!artifact) return invalid('referrer manifest is missing from the registry', ref);
  if (!artifact.layer) return invalid(`referrer: ${artifact.problem}`, ref);
  if (artifact.manifest.subject?.digest !== expected.index) return invalid(`referrer's subject is ${String(artifact.manifest.subject?.digest)}, not the index`, ref);
  let bundle: unknown;
  try { bundle = json(artifact.layer); } catch { return invalid('the bundle is not JSON', ref); }
  try {
    const { payloadType, payload } = verifyBundle(bundle, policy);
    const wrong = checkPayload(kind, payloadType, payload, expected);
    return wrong ? invalid(wrong, ref) : { status: 'ok', referrer: ref };
  } catch (error) {
    if (error instanceof BundleInvalidError) return invalid(error.message, ref);
    throw error;
  }
}
