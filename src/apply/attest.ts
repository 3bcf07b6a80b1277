/**
 * The attest step: for a version's index, sign its digest, make the SBOM and the SLSA provenance
 * statements, sign each as a DSSE Sigstore bundle and attach it as a referrer (replacing the
 * previous one of its kind). Kinds are attached one by one (the fallback index is
 * read-modify-write); one that fails does not stop the others, and the action then fails naming it.
 */
import { AbortError } from '../errors.js';
import type { ActionOf } from '../plan/types.js';
import { attachBundle } from '../providers/attest/referrers.js';
import type { SbomSource } from '../providers/attest/sbom.js';
import { cosignSignStatement, provenanceStatement, sbomStatement, subjectsOf, subjectOf } from '../providers/attest/statement.js';
import { INTOTO_PAYLOAD_TYPE, KIND_LABELS, kindsFor, type AttestationKind } from '../providers/attest/types.js';
import { NotFoundError } from '../providers/registry/errors.js';
import { entryFor, platformString, type Descriptor } from '../providers/registry/types.js';
import { indexAddress } from '../state/addresses.js';
import { specsOf, type ApplyContext } from './context.js';
import type { AttestTools } from './attest-tools.js';
import { provenanceInput, type PlatformEntry } from './provenance-input.js';


/** Attest one version's index. Returns the index digest. */
export async function attestStep(ctx: ApplyContext, tools: AttestTools, action: ActionOf<'attest'>): Promise<string> {
  const { app, image } = specsOf(ctx, action.app, action.image);
  const { version } = action;
  const address = indexAddress(app.name, image.name, version);
  const rec = ctx.recorder.state.resources[address];
  if (rec?.type !== 'index') throw new AbortError(`Cannot attest ${address}: the state records no index for it.`, `Adopt it first: mirror import ${address}`);
  // The attestations must be about what the version tag serves, never a stale digest. One GET by
  // tag gives both: its digest is verified against the body.
  const fetched = await ctx.registry.getManifest(image.name, version).catch((error: unknown) => { if (error instanceof NotFoundError) return undefined; throw error; });
  if (fetched?.descriptor.digest !== rec.digest) {
    throw new AbortError(`Cannot attest ${address}: the registry's ${version} tag is ${fetched ? `at ${fetched.descriptor.digest}` : 'gone'}, the state records ${rec.digest}.`, 'Run mirror plan to repair the drift first.');
  }
  const index = JSON.parse(Buffer.from(fetched.bytes).toString()) as { manifests?: Descriptor[] };
  // Each entry under the configured platform it serves (an arm64 image's entry says linux/arm64/v8:
  // its build is recorded as linux/arm64); an entry no configured platform takes keeps its own.
  const entries = index.manifests ?? [];
  const platforms: PlatformEntry[] = entries.flatMap((m) => {
    const own = platformString(m);
    return own ? [{ platform: app.platforms.find((p) => entryFor(entries, p) === m) ?? own, digest: m.digest }] : [];
  });
  const subject: Descriptor = { mediaType: fetched.descriptor.mediaType, digest: rec.digest, size: fetched.bytes.length };
  const repository = ctx.registry.repository(image.name);
  const subjects = subjectsOf(repository, rec.digest, platforms);
  const sign = app.attest.sign;
  if (sign === false) throw new AbortError(`${address}: attestations are signed bundles; attest.sign is false.`, "Set attest.sign to 'keyless' or { key: 'env:NAME' }, or turn sbom and provenance off.");
  const log = (line: string) => ctx.log(action.id, line);

  const payloads: Record<AttestationKind, () => Promise<{ type: string; body: unknown }>> = {
    signature: async () => ({ type: INTOTO_PAYLOAD_TYPE, body: cosignSignStatement(rec.digest) }),
    sbom: async () => {
      // One SBOM per version: the first platform's image (an index has no file system of its own).
      const first = platforms[0];
      if (!first) throw new AbortError(`${address} has no platform manifests to scan.`);
      // A layout has no registry API for trivy to read: it scans the platform image in the directory.
      const source: SbomSource = repository.startsWith('oci:')
        ? { type: 'layout', dir: repository.slice('oci:'.length), digest: first.digest }
        : { type: 'registry', reference: `${repository}@${rec.digest}`, platform: first.platform };
      const spdx = await tools.sbomGenerator().generate(source, ctx.signal);
      return { type: INTOTO_PAYLOAD_TYPE, body: sbomStatement([subjectOf(repository, rec.digest), subjectOf(repository, first.digest)], spdx) };
    },
    provenance: async () => ({ type: INTOTO_PAYLOAD_TYPE, body: provenanceStatement(await provenanceInput(ctx, tools, app, image, rec, platforms, subjects)) }),
  };

  const signer = await tools.signer(sign);
  const attached: Record<string, string> = { ...rec.attestations };
  const failures: string[] = [];
  // An adopted version gets what can honestly be added (signature, SBOM); mirror made no provenance for it.
  for (const kind of kindsFor(app.attest, rec.origin)) {
    // Interrupted: attach nothing more; what is attached is recorded below, the rest is the next run's.
    if (ctx.signal?.aborted) { failures.push(`${KIND_LABELS[kind]}: stopped`); continue; }
    try {
      const { type, body } = await payloads[kind]();
      const bundle = await signer.sign(type, Buffer.from(JSON.stringify(body)));
      attached[kind] = await attachBundle(ctx.registry, image.name, subject, kind, new TextEncoder().encode(JSON.stringify(bundle)));
      log(`mirror: attached ${KIND_LABELS[kind]} ${attached[kind]} (signed with ${signer.description})`);
    } catch (error) {
      const next = (error as AbortError).nextSteps;
      failures.push(`${KIND_LABELS[kind]}: ${(error as Error).message.split('\n')[0]}${next ? ` (${next})` : ''}`);
      log(`mirror: ${KIND_LABELS[kind]} failed: ${(error as Error).message}`);
    }
  }
  const current = ctx.recorder.state.resources[address] ?? rec;
  await ctx.recorder.record(address, { ...current, attestations: attached, updatedAt: new Date().toISOString() }, 'attest', current.upstream);
  if (failures.length > 0) throw new AbortError(`Attesting ${address} failed: ${failures.join('; ')}`);
  return rec.digest;
}
