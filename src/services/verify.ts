/**
 * The `mirror verify` service: for each version the state records (optionally under ADDR), read
 * the registry's current index digest and its referrers, verify each attestation bundle and check
 * that what it signs is that index. Versions of the configured window that the registry holds but
 * the state does not record are checked too and reported as not in state: what mirror does not
 * track, it cannot vouch for. Never sees oclif; the command renders the report.
 */
import path from 'node:path';
import { getTrustedRoot } from '@sigstore/tuf';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { readFile } from 'node:fs/promises';
import type { AppSpec, ResolvedConfig } from '../config/model.js';
import { AbortError } from '../errors.js';
import { checkReferrer, type KindVerdict } from '../providers/attest/check.js';
import { attestationsIn, listReferrers } from '../providers/attest/referrers.js';
import { parsePublicKey, readKeyText } from '../providers/attest/signing-key.js';
import { ATTESTATION_KINDS, wantedKinds, type AttestationKind } from '../providers/attest/types.js';
import type { TrustPolicy } from '../providers/attest/verify-bundle.js';
import { NotFoundError } from '../providers/registry/errors.js';
import type { Descriptor, RegistryBackend } from '../providers/registry/types.js';
import { indexAddress, matchesTarget, parseAddress } from '../state/addresses.js';
import { openWorkspace, type WorkspaceOptions } from './workspace.js';
import type { State } from '../state/types.js';
import { resolveAppWindow } from './observe.js';

/** Options of a verify run. */
export interface VerifyOptions extends WorkspaceOptions {
  /** Only addresses under this one. */
  address?: string;
  /** Public (or private) key PEM as `env:NAME` or a file; default: the configured signing key's public half. */
  key?: string;
  /** Keyless: the certificate's subject alternative name (e.g. the workflow URL) and OIDC issuer. */
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  /** Keyless: a Sigstore trusted_root.json; default: fetched through Sigstore's TUF repository. */
  trustedRoot?: string;
  /** `--strict`: an adopted version without provenance fails too. */
  strict?: boolean;
}

/** The verdict on one version. */
export interface VersionVerdict {
  address: string;
  /** What the registry's version tag points at now (null when the tag is gone). */
  digest: string | null;
  /** What the state records (null: a window version in the registry that the state does not record). */
  recorded: string | null;
  /** Problems with the version itself (tag moved or gone). */
  problems: string[];
  attestations: Record<AttestationKind, KindVerdict>;
}

/** The whole report. */
export interface VerifyReport {
  versions: VersionVerdict[];
  ok: boolean;
  /** Apps whose upstream window could not be read: versions missing from the state were not looked for. */
  warnings: string[];
  /** Whether adopted provenance failed the run (`--strict`). */
  strict?: boolean;
}

/**
 * A version passes when nothing is wrong with its tag and every wanted attestation verifies; an
 * adopted version's missing provenance (status `adopted`) passes unless `strict`.
 */
export function versionOk(v: VersionVerdict, strict = false): boolean {
  return v.problems.length === 0 && Object.values(v.attestations).every((k) => k.status === 'ok' || k.status === 'off' || (k.status === 'adopted' && !strict));
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

/** One version to check: recorded in state (`recorded` = its digest) or only found in the registry. */
interface Target {
  address: string;
  image: string;
  version: string;
  recorded: string | null;
  /** The record's origin: an adopted version has no provenance of mirror's. */
  origin?: 'built' | 'adopted';
}

async function verifyVersion(registry: RegistryBackend, app: AppSpec, t: Target, policies: Policies): Promise<VersionVerdict> {
  const wanted = wantedKinds(app.attest);
  const attestations = Object.fromEntries(ATTESTATION_KINDS.map((k) => [k, { status: wanted.includes(k) ? 'missing' : 'off' }])) as Record<AttestationKind, KindVerdict>;
  // One GET by tag gives both what the tag points at (digest verified against the body) and the index.
  const index = await registry.getManifest(t.image, t.version).catch((error: unknown) => { if (error instanceof NotFoundError) return undefined; throw error; });
  const verdict: VersionVerdict = { address: t.address, digest: index?.descriptor.digest ?? null, recorded: t.recorded, problems: [], attestations };
  if (!index) { verdict.problems.push(`version tag ${t.version} is gone from the registry`); return verdict; }
  const { digest } = index.descriptor;
  if (t.recorded === null) verdict.problems.push(`not in state (mirror import ${t.address})`);
  else if (digest !== t.recorded) verdict.problems.push(`version tag ${t.version} points at ${digest}, the state records ${t.recorded}`);
  const expected = { index: digest, platforms: platformDigests(index.bytes) };
  const byKind = attestationsIn((await listReferrers(registry, t.image, digest)).manifests);
  const policy = wanted.length > 0 ? await policies.get(app) : undefined;
  for (const kind of wanted) {
    const found = byKind.get(kind) ?? [];
    // Mirror makes no provenance for what it did not build; one attached by someone else is still checked.
    attestations[kind] = kind === 'provenance' && t.origin === 'adopted' && found.length === 0
      ? { status: 'adopted', reason: 'imported, not built by mirror: no provenance' }
      : await checkReferrer(registry, t.image, kind, found, expected, policy as TrustPolicy);
  }
  return verdict;
}

/**
 * Window versions the registry has under their version tag but the state does not record. The
 * window comes from the upstream as the plan sees it; an upstream that cannot be read is a warning
 * (verify still checks what the state records).
 */
async function untracked(config: ResolvedConfig, registry: RegistryBackend, state: State | undefined, opts: VerifyOptions, warnings: string[]): Promise<Array<[AppSpec, Target]>> {
  const found: Array<[AppSpec, Target]> = [];
  const only = opts.address ? parseAddress(opts.address).app : undefined;
  for (const app of config.apps) {
    if (only && app.name !== only) continue; // no upstream request for apps ADDR leaves out
    let window;
    try {
      window = (await resolveAppWindow(config, app, opts.env, () => {})).versions;
    } catch (error) {
      warnings.push(`${app.name}: cannot read the upstream window (${(error as Error).message.split('\n')[0]}); versions missing from the state were not looked for.`);
      continue;
    }
    for (const image of app.images) {
      const tags = new Set(await registry.listTags(image.name));
      for (const { version } of window) {
        const address = indexAddress(app.name, image.name, version);
        if (state?.resources[address] || !tags.has(version) || (opts.address && !matchesTarget(address, opts.address))) continue;
        found.push([app, { address, image: image.name, version, recorded: null }]);
      }
    }
  }
  return found;
}

/** Verify every recorded version (or those under `address`), and report window versions the state lacks. */
export async function verifyAttestations(opts: VerifyOptions): Promise<VerifyReport> {
  const ws = await openWorkspace(opts);
  const { config } = ws;
  const state = await ws.readState().finally(() => ws.close());
  const recorded = Object.entries(state?.resources ?? {})
    .filter(([a, r]) => r.type === 'index' && r.version && (!opts.address || matchesTarget(a, opts.address)));
  const registry = ws.openRegistry();
  const policies = new Policies(config, opts);
  const warnings: string[] = [];
  try {
    const targets: Array<[AppSpec, Target]> = [];
    for (const [address, rec] of recorded) {
      const app = config.apps.find((a) => a.name === rec.app);
      if (app) targets.push([app, { address, image: rec.image, version: rec.version as string, recorded: rec.digest, origin: rec.origin }]); // an app removed from the config: nothing says how it should be signed
    }
    targets.push(...(await untracked(config, registry, state, opts, warnings)));
    if (opts.address && targets.length === 0) throw new AbortError(`No version in the state or the registry matches ${opts.address}.`, 'See `mirror state list`.');
    targets.sort(([, a], [, b]) => a.address.localeCompare(b.address));
    const versions: VersionVerdict[] = [];
    for (const [app, target] of targets) versions.push(await verifyVersion(registry, app, target, policies));
    return { versions, ok: versions.every((v) => versionOk(v, opts.strict)), warnings, ...(opts.strict ? { strict: true } : {}) };
  } finally {
    await registry.close();
  }
}
