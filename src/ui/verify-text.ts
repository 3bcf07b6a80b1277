/** The `mirror verify` table: one row per version, one column per attestation kind, then the reasons. */
import { versionOk, type VerifyReport } from '../services/verify.js';
import type { AttestationKind } from '../providers/attest/types.js';
import { columns } from './columns.js';

const COLUMNS: Array<[AttestationKind, string]> = [['signature', 'SIGNATURE'], ['sbom', 'SBOM'], ['provenance', 'PROVENANCE']];
const short = (d: string | null) => (d ? `${d.slice(0, 19)}…` : '—');

/** Render the report as text. */
export function renderVerify(report: VerifyReport): string {
  const warnings = report.warnings.map((w) => `Warning: ${w}\n`).join('');
  if (report.versions.length === 0) return `${warnings}No versions recorded in the state or found in the registry: nothing to verify.\n`;
  // RESULT is versionOk, the same verdict the exit code and the closing count use: a row whose
  // attestations verify but whose tag points elsewhere reads FAIL, not `ok ok ok`.
  const header = ['VERSION', 'DIGEST', ...COLUMNS.map(([, h]) => h), 'RESULT'];
  const rows = report.versions.map((v) => [v.address, short(v.digest), ...COLUMNS.map(([k]) => v.attestations[k].status), versionOk(v, report.strict) ? 'ok' : 'FAIL']);
  const out = columns([header, ...rows]);
  const notes: string[] = [];
  for (const v of report.versions) {
    for (const p of v.problems) notes.push(`${v.address}: ${p}`);
    for (const [k] of COLUMNS) {
      const verdict = v.attestations[k];
      if (verdict.status === 'invalid') notes.push(`${v.address}: ${k} invalid: ${verdict.reason}`);
      if (verdict.status === 'missing') notes.push(`${v.address}: ${k} missing`);
      if (verdict.status === 'adopted') notes.push(`${v.address}: ${k} adopted: imported, not built by mirror (${report.strict ? 'fails with --strict' : 'passes; --strict fails it'}; rebuild it with mirror apply --replace ${v.address})`);
    }
  }
  if (notes.length > 0) out.push('', ...notes);
  if (warnings) out.push('', warnings.trimEnd());
  const bad = report.versions.filter((v) => !versionOk(v, report.strict)).length;
  const adopted = report.versions.filter((v) => v.attestations.provenance.status === 'adopted').length;
  const ok = adopted === 0
    ? `Verified ${report.versions.length} version${report.versions.length === 1 ? '' : 's'}: every attestation is present and valid.`
    : `Verified ${report.versions.length} version${report.versions.length === 1 ? '' : 's'}: every attestation is present and valid (${adopted} adopted without provenance).`;
  out.push('', bad === 0 ? ok : `${bad} of ${report.versions.length} versions have missing or invalid attestations${report.strict && adopted > 0 ? ' (--strict: adopted versions without provenance fail)' : ''}.`);
  return `${out.join('\n')}\n`;
}
