/**
 * What the attest steps of one apply share: one signer per `attest.sign` setting and one SBOM
 * generator, each made on first use so an apply without attestations never looks for a key or
 * for trivy, and a missing one fails only the attest actions.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AttestSettings, ResolvedConfig } from '../config/model.js';
import { registryAccess } from '../providers/registry/index.js';
import { createSbomGenerator, type SbomGenerator } from '../providers/attest/sbom.js';
import type { PayloadSigner } from '../providers/attest/signer.js';
import { parseSigningKey, readKeyText } from '../providers/attest/signing-key.js';
import { proxiedFetch } from '../system/dispatcher.js';

/** Signers and the SBOM generator of one apply. */
export class AttestTools {
  private readonly signers = new Map<string, Promise<PayloadSigner>>();
  private sbom?: SbomGenerator;
  /** Invocation id of this apply when no CI run names it. */
  readonly invocationId = `urn:uuid:${randomUUID()}`;

  constructor(private readonly config: ResolvedConfig, readonly env: NodeJS.ProcessEnv, private readonly warn?: (message: string) => void) {}

  /** The signer of an `attest.sign` setting (not false). */
  signer(sign: Exclude<AttestSettings['sign'], false>): Promise<PayloadSigner> {
    const key = JSON.stringify(sign);
    let signer = this.signers.get(key);
    if (!signer) {
      // The sigstore libraries are heavy to load: only an apply that signs pays for them.
      const lib = import('../providers/attest/signer.js');
      signer = sign === 'keyless'
        ? lib.then(({ keylessSigner }) => keylessSigner({ env: this.env, fetcher: proxiedFetch(this.env) }))
        : readKeyText(sign.key, this.env, path.dirname(this.config.file), 'attest.sign.key', this.warn).then(async (pem) => (await lib).keySigner(parseSigningKey(pem)));
      this.signers.set(key, signer);
    }
    return signer;
  }

  /** The SBOM generator (trivy), reading the registry like mirror does: same insecure flag and credentials. */
  sbomGenerator(): SbomGenerator {
    if (!this.sbom) {
      const { insecureHosts, credentials } = registryAccess(this.config.registry);
      this.sbom = createSbomGenerator({ insecure: insecureHosts.length > 0, username: credentials?.username, password: credentials?.password }, this.env);
    }
    return this.sbom;
  }
}
