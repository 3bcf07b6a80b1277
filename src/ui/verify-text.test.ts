import { describe, expect, it } from 'vitest';
import type { VersionVerdict } from '../services/verify.js';
import { renderVerify } from './verify-text.js';

const ok = { status: 'ok' as const };
const verdict = (address: string, problems: string[] = [], provenance: VersionVerdict['attestations']['provenance'] = ok): VersionVerdict => ({
  address, digest: `sha256:${'a'.repeat(64)}`, recorded: `sha256:${'a'.repeat(64)}`, problems, attestations: { signature: ok, sbom: ok, provenance },
});

describe('renderVerify', () => {
  it('a row counted as failing says FAIL although its attestations verify (its tag points at another version\'s image)', () => {
    const moved = verdict('mattermost@10.4.0', [`version tag 10.4.0 points at sha256:${'b'.repeat(64)}, the state records sha256:${'a'.repeat(64)}`]);
    const text = renderVerify({ versions: [verdict('mattermost@10.4.1'), moved], ok: false, warnings: [] });
    expect(text).toMatch(/^VERSION +DIGEST +SIGNATURE +SBOM +PROVENANCE +RESULT$/m);
    expect(text).toMatch(/^mattermost@10\.4\.1 +sha256:a{12}… +ok +ok +ok +ok$/m);
    expect(text).toMatch(/^mattermost@10\.4\.0 +sha256:a{12}… +ok +ok +ok +FAIL$/m);
    expect(text).toContain('1 of 2 versions have missing or invalid attestations.');
  });

  it('an adopted version reads ok unless --strict, as the exit code does', () => {
    const adopted = verdict('mattermost@10.4.0', [], { status: 'adopted' } as VersionVerdict['attestations']['provenance']);
    expect(renderVerify({ versions: [adopted], ok: true, warnings: [] })).toMatch(/ adopted +ok$/m);
    expect(renderVerify({ versions: [adopted], ok: false, warnings: [], strict: true })).toMatch(/ adopted +FAIL$/m);
  });
});
