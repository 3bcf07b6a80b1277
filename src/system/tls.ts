/** TLS verification failures, told apart from "not reachable" so the error can say how to trust the server. */

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA',
]);

/** The certificate error code of an error or its cause (undici wraps socket errors), if any. */
export function certificateError(error: unknown): string | undefined {
  for (let e = error as { code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code && CERT_CODES.has(e.code)) return e.code;
  }
  return undefined;
}

/** What to do about an untrusted certificate. */
export const TRUST_HINT = 'Trust its CA for mirror with NODE_EXTRA_CA_CERTS=/path/to/ca.pem';
