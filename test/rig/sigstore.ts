/**
 * Sigstore for offline keyless tests: @sigstore/mock's Fulcio handler and transparency log (a CA
 * issuing short-lived certificates for the OIDC token's subject, with the issuer extensions
 * Fulcio writes; a log answering signed entries with inclusion proofs) served by a real HTTP
 * server on loopback,
 * so the CLI signs keyless over HTTP as it would against fulcio.sigstore.dev and
 * rekor.sigstore.dev. The trusted root (CA certificate, Rekor and CT log keys) is written as
 * trusted_root.json for `mirror verify --trusted-root`, as Sigstore's TUF repository serves it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog } from '@sigstore/mock';
import { HashAlgorithm, PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { createHash } from 'node:crypto';

/** A running mock Sigstore. */
export interface MockSigstore {
  /** Base URL of both Fulcio and Rekor (their paths differ). */
  url: string;
  trustedRootFile: string;
  /** Requests answered: `fulcio` or `rekor`, with the status. */
  requests: { service: 'fulcio' | 'rekor'; status: number }[];
  stop(): Promise<void>;
}

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** An OIDC token as GitHub Actions issues them, unsigned (the mock Fulcio reads claims, it does not check the signature). */
export function oidcToken(claims: { iss: string; sub: string }): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ aud: 'sigstore', iat: now, exp: now + 600, ...claims })}.${Buffer.from('unsigned').toString('base64url')}`;
}

/**
 * What Rekor stores for a proposed `dsse` v0.0.1 entry (rekor pkg/types/dsse/v0.0.1/entry.go
 * Canonicalize): the envelope's signatures with their verifiers and the payload and envelope
 * hashes, not the proposed content. @sigstore/mock's own handler logs the proposal as sent, which
 * verifiers reject (the body has no `signatures`), so the rig canonicalizes as Rekor does.
 */
function canonicalDsse(body: string): object {
  const proposed = JSON.parse(body) as { kind: string; apiVersion: string; spec: { proposedContent: { envelope: string; verifiers: string[] } } };
  const envelope = JSON.parse(proposed.spec.proposedContent.envelope) as { payload: string; signatures: { sig: string }[] };
  const hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  return {
    apiVersion: proposed.apiVersion, kind: proposed.kind,
    spec: {
      envelopeHash: { algorithm: 'sha256', value: hex(proposed.spec.proposedContent.envelope) },
      payloadHash: { algorithm: 'sha256', value: hex(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((sig, i) => ({ signature: sig.sig, verifier: proposed.spec.proposedContent.verifiers[i] ?? proposed.spec.proposedContent.verifiers[0] })),
    },
  };
}

/** Start the mock; the trusted root goes into `dir`. */
export async function startMockSigstore(dir: string): Promise<MockSigstore> {
  const requests: MockSigstore['requests'] = [];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ctlog = await initializeCTLog(p256());
  const ca = await initializeCA(p256(), ctlog);
  const tlog = await initializeTLog(url, p256());
  const handlers = { fulcio: fulcioHandler(ca), rekor: { path: '/api/v1/log/entries', fn: async (body: string) => ({ statusCode: 201, contentType: 'application/json', response: JSON.stringify(await tlog.log(canonicalDsse(body))) }) } };
  server.on('request', (req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const service = req.method === 'POST' ? (Object.keys(handlers) as Array<keyof typeof handlers>).find((k) => handlers[k].path === req.url) : undefined;
      if (!service) { res.writeHead(404).end(); return; }
      handlers[service].fn(body).then(({ statusCode, response, contentType }) => {
        requests.push({ service, status: statusCode });
        res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
        res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
      }).catch(() => { res.writeHead(500).end(); });
    });
  });
  // Valid from a minute ago: certificates are issued "now" and checked against the root's window.
  const validFor = { start: new Date(Date.now() - 60_000) };
  const root = TrustedRoot.toJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    certificateAuthorities: [{ subject: { commonName: 'sigstore', organization: 'sigstore.mock' }, uri: url, certChain: { certificates: [{ rawBytes: Buffer.from(ca.rootCertificate.buffer) }] }, validFor, operator: 'sigstore.mock' }],
    tlogs: [{ baseUrl: url, logId: { keyId: createHash('sha256').update(tlog.publicKey).digest() }, hashAlgorithm: HashAlgorithm.SHA2_256,
      publicKey: { rawBytes: tlog.publicKey, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor }, checkpointKeyId: undefined, operator: 'sigstore.mock' }],
    ctlogs: [{ baseUrl: url, logId: { keyId: Buffer.from(ctlog.logID.buffer) }, hashAlgorithm: HashAlgorithm.SHA2_256,
      publicKey: { rawBytes: ctlog.publicKey, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor }, checkpointKeyId: undefined, operator: 'sigstore.mock' }],
    timestampAuthorities: [],
  });
  const trustedRootFile = path.join(dir, 'trusted_root.json');
  await writeFile(trustedRootFile, JSON.stringify(root));
  return {
    url, trustedRootFile, requests,
    stop: async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); },
  };
}
