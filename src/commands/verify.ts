import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { configFlag, jsonFlag } from '../cli/flags.js';
import { verifyAttestations } from '../services/verify.js';
import { renderVerify } from '../ui/verify-text.js';

/** `mirror verify [ADDR]`: check the signature, SBOM and provenance of every recorded version. */
export default class Verify extends BaseCommand {
  static summary = 'Check signatures and attestations of what the state and registry hold.';
  static description = 'For each version the state records, verifies the Sigstore bundles attached to the registry\'s current index (signature, SBOM, provenance) and that they are about that index. An adopted (imported) version has no provenance: it shows `adopted` and passes unless --strict. Window versions the registry holds but the state does not record are listed as not in state. Exits 1 if anything is missing or invalid.';
  static examples = [
    '<%= config.bin %> verify',
    '<%= config.bin %> verify mattermost --key cosign.pub',
    '<%= config.bin %> verify --certificate-identity https://github.com/OWNER/REPO/.github/workflows/mirror.yml@refs/heads/main --certificate-oidc-issuer https://token.actions.githubusercontent.com',
  ];

  static args = { address: Args.string({ description: 'an address or prefix (default: every recorded version)' }) };
  static flags = {
    config: configFlag,
    json: jsonFlag,
    key: Flags.string({ description: "public key PEM to verify with, as a file or 'env:NAME' (default: the public half of attest.sign.key)", env: 'MIRROR_VERIFY_KEY' }),
    'certificate-identity': Flags.string({ description: 'keyless: expected certificate identity (workflow URL)', env: 'MIRROR_CERTIFICATE_IDENTITY' }),
    'certificate-oidc-issuer': Flags.string({ description: 'keyless: expected OIDC issuer', env: 'MIRROR_CERTIFICATE_OIDC_ISSUER' }),
    'trusted-root': Flags.string({ description: 'keyless: Sigstore trusted_root.json (default: fetched through Sigstore TUF)', env: 'MIRROR_TRUSTED_ROOT' }),
    strict: Flags.boolean({ description: 'also fail on adopted versions, which have no provenance (mirror did not build them)', env: 'MIRROR_STRICT' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Verify);
    const report = await verifyAttestations({
      cwd: process.cwd(), config: flags.config, env: process.env, address: args.address, key: flags.key,
      certificateIdentity: flags['certificate-identity'], certificateOidcIssuer: flags['certificate-oidc-issuer'], trustedRoot: flags['trusted-root'], strict: flags.strict,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerify(report));
    if (!report.ok) process.exitCode = 1;
  }
}
