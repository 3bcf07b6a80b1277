/**
 * The `mirror verify` service: for each version the state records (optionally under ADDR), read
 * the registry's current index digest and its referrers, verify each attestation bundle and check
 * that what it signs is that index. Never sees oclif; the command renders the report.
 */
import path from 'node:path';
import { getTrustedRoot } from '@sigstore/tuf';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import type { AppSpec, ResolvedConfig } from '../config/model.js';
import { AbortError } from '../errors.js';
import { checkReferrer, type KindVerdict } from '../providers/attest/check.js';
import { attestationsIn, listReferrers } from '../providers/attest/referrers.js';
import { parsePublicKey, readKeyText } from '../providers/attest/signing-key.js';
import { ATTESTATION_KINDS, wantedKinds, type AttestationKind } from '../providers/attest/types.js';
import type { TrustPolicy } from '../providers/attest/verify-bundle.js';
import { createRegistryBackend } from '../providers/registry/index.js';
import type { Descriptor, RegistryBackend } from '../providers/registry/types.js';
import { matchesTarget } from '../state/addresses.js';
import { openStateBackend } from '../state/backend.js';
import type { Resource } from '../state/types.js';

/** Options of a verify run. */
export interface VerifyOptions {
  cwd: string;
  config?: string;
  env?: NodeJS.ProcessEnv;
  /** Only addresses under this one. */
  address?: string;
  /** Public (or private) key PEM as `env:NAME` or a file; default: the configured signing key's public half. */
  key?: string;
  /** Keyless: the certificate's subject alternative name (e.g. the workflow URL) and OIDC issuer. */
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  /** Keyless: a Sigstore trusted_root.json; default: fetched through Sigstore's TUF repository. */
  trustedRoot?: string;
}

/** The verdict on one version. */
export interface VersionVerdict {
  address: string;
  /** What the registry's version tag points at now (null when the tag is gone). */
  digest: string | null;
  /** What the state records. */
  recorded: string;
  /** Problems with the version itself (tag moved or gone). */
  problems: string[];
  attestations: Record<AttestationKind, KindVerdict>;
}

/** The whole report. */
export interface VerifyReport {
  versions: VersionVerdict[];
  ok: boolean;
}

/** Trust policy of an app's signing setting and the flags; cached per setting. */
class Policies {
  private readonly cache = new Map<string, Promise<TrustPolicy>>();
  constructor(private readonly config: ResolvedConfig, private readonly opts: VerifyOptions) {}

  get(app: AppSpec): Promise<TrustPolicy> {
    const key = this.opts.key ? `flag:${this.opts.key}` : JSON.stringify(app.attest.sign);
    let p = this.cache.get(key);
    if (!p) { p = this.make(app); this.cache.set(key, p); }
    return p;
  }

  private async make(app: AppSpec): Promise<TrustPolicy> {
    const env = this.opts.env ?? process.env;
    const base = path.dirname(this.config.file);
    if (this.opts.key) return { type: 'key', publicKey: parsePublicKey(await readKeyText(this.opts.key, env, this.opts.cwd, '--key'), '--key') };
    const sign = app.attest.sign;
    if (typeof sign === 'object') return { type: 'key', publicKey: parsePublicKey(await readKeyText(sign.key, env, base), 'attest.sign.key') };
    const { certificateIdentity: identity, certificateOidcIssuer: issuer } = this.opts;
    if (!identity || !issuer) {
      throw new AbortError(`apps.${app.name} is signed keyless: verifying needs the expected signer.`, 'Pass --certificate-identity (e.g. https://github.com/OWNER/REPO/.github/workflows/mirror.yml@refs/heads/main) and --certificate-oidc-issuer https://token.actions.githubusercontent.com, or --key for key-signed images.');
    }
    const trustedRoot = this.opts.trustedRoot
      ? TrustedRoot.fromJSON(JSON.parse(await readFile(path.resolve(this.opts.cwd, this.opts.trustedRoot), 'utf8')))
      : await getTrustedRoot().catch((error: Error) => { throw new AbortError(`Cannot fetch the Sigstore trusted root (${error.message}).`, 'Pass --trusted-root trusted_root.json when offline.'); });
    return { type: 'keyless', identity, issuer, trustedRoot };
  }
}

const platformDigests = (bytes: Uint8Array) => ((JSON.parse(Buffer.from(bytes).toString()) as { manifests?: Descriptor[] }).manifests ?? []).map((m) => m.digest);

async function verifyVersion(registry: RegistryBackend, app: AppSpec, rec: Resource, address: string, policies: Policies): Promise<VersionVerdict> {
  const wanted = wantedKinds(app.attest);
  const attestations = Object.fromEntries(ATTESTATION_KINDS.map((k) => [k, { status: wanted.includes(k) ? 'missing' : 'off' }])) as Record<AttestationKind, KindVerdict>;
  const head = await registry.headManifest(rec.image, rec.version as string);
  const verdict: VersionVerdict = { address, digest: head?.digest ?? null, recorded: rec.digest, problems: [], attestations };
  if (!head) { verdict.problems.push(`version tag ${rec.version} is gone from the registry`); return verdict; }
  if (head.digest !== rec.digest) verdict.problems.push(`version tag ${rec.version} points at ${head.digest}, the state records ${rec.digest}`);
  const index = await registry.getManifest(rec.image, head.digest);
  const expected = { index: head.digest, platforms: platformDigests(index.bytes) };
  const byKind = attestationsIn((await listReferrers(registry, rec.image, head.digest)).manifests);
  const policy = wanted.length > 0 ? await policies.get(app) : undefined;
  for (const kind of wanted) attestations[kind] = await checkReferrer(registry, rec.image, kind, byKind.get(kind) ?? [], expected, policy as TrustPolicy);
  return verdict;
}

/** Verify every recorded version (or those under `address`). */
export async function verifyAttestations(opts: VerifyOptions): Promise<VerifyReport> {
  const config = await loadConfig({ cwd: opts.cwd, config: opts.config, env: opts.env });
  const backend = await openStateBackend(config, { env: opts.env });
  const state = await backend.store.read().finally(() => backend.close());
  const entries = Object.entries(state?.resources ?? {})
    .filter(([a, r]) => r.type === 'index' && r.version && (!opts.address || matchesTarget(a, opts.address)))
    .sort(([a], [b]) => a.localeCompare(b));
  if (opts.address && entries.length === 0) throw new AbortError(`No version in the state matches ${opts.address}.`, 'See `mirror state list`.');
  const registry = createRegistryBackend(config.registry, { env: opts.env, baseDir: path.dirname(config.file) });
  const policies = new Policies(config, opts);
  try {
    const versions: VersionVerdict[] = [];
    for (const [address, rec] of entries) {
      const app = config.apps.find((a) => a.name === rec.app);
      if (!app) continue; // an app removed from the config: nothing says how it should be signed
      versions.push(await verifyVersion(registry, app, rec, address, policies));
    }
    const ok = versions.every((v) => v.problems.length === 0 && Object.values(v.attestations).every((k) => k.status === 'ok' || k.status === 'off'));
    return { versions, ok };
  } finally {
    await registry.close();
  }
}
