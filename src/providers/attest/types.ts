/**
 * Attestation contracts (SPEC §6 "Attest"): what mirror attaches to a version's index, how each
 * kind is told apart in the registry, and the media types other tools (cosign 2.4+, oras) read.
 */

/** The three attestations of a version. */
export type AttestationKind = 'signature' | 'sbom' | 'provenance';
/** Every kind, in the order plans name them. */
export const ATTESTATION_KINDS: readonly AttestationKind[] = ['sbom', 'provenance', 'signature'];

/** artifactType of every referrer mirror attaches, and the media type of its one layer. */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Annotation cosign writes on bundle referrers; mirror tells the three kinds apart by it. */
export const PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
/** Annotation saying the bundle holds a DSSE envelope (cosign's habit). */
export const CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';

/** in-toto statement type. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** DSSE payload type of in-toto statements. */
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/**
 * DSSE payload type of cosign's old simple-signing signature payload. mirror no longer writes it
 * (cosign v3 and sigstore-go reject it for images); verify names it when it finds one.
 */
export const SIMPLE_SIGNING_PAYLOAD_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

/** predicateType (and annotation value) per kind. */
export const PREDICATE_TYPES: Record<AttestationKind, string> = {
  signature: 'https://sigstore.dev/cosign/sign/v1',
  sbom: 'https://spdx.dev/Document',
  provenance: 'https://slsa.dev/provenance/v1',
};

/** The kind a predicateType annotation names, if mirror knows it. */
export function kindOfPredicate(predicateType: string | undefined): AttestationKind | undefined {
  return ATTESTATION_KINDS.find((k) => PREDICATE_TYPES[k] === predicateType);
}

/** Display names, for reasons and tables. */
export const KIND_LABELS: Record<AttestationKind, string> = { signature: 'signature', sbom: 'SBOM', provenance: 'provenance' };

/** Kinds a config asks for (`attest: { sbom, provenance, sign }`). */
export function wantedKinds(attest: { sbom: boolean; provenance: boolean; sign: unknown }): AttestationKind[] {
  return ATTESTATION_KINDS.filter((k) => (k === 'signature' ? attest.sign !== false : attest[k]));
}

/**
 * Kinds mirror attaches to one version: an adopted version (origin `adopted`) gets the signature
 * and the SBOM but never provenance: mirror did not build it and will not vouch for how it was built.
 */
export function kindsFor(attest: { sbom: boolean; provenance: boolean; sign: unknown }, origin: 'built' | 'adopted' | undefined): AttestationKind[] {
  return wantedKinds(attest).filter((k) => origin !== 'adopted' || k !== 'provenance');
}
