import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFileModeWarning, readKeyText } from './signing-key.js';

describe('signing key file permissions', () => {
  it('warns, naming the file and chmod 600, when other users can read the key file; not when it is private', async () => {
    // Given a PEM key file readable by everyone
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-key-'));
    const file = path.join(dir, 'cosign.key');
    await writeFile(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    await chmod(file, 0o644);
    const warnings: string[] = [];
    // When apply reads it
    const pem = await readKeyText('cosign.key', {}, dir, 'attest.sign.key', (w) => warnings.push(w));
    // Then it is used, with one warning naming the file and the fix
    expect(pem).toContain('BEGIN PRIVATE KEY');
    expect(warnings).toEqual([`attest.sign.key: key file ${file} is readable by other users (mode 0644); restrict it: chmod 600 ${file}`]);
    // and a 0600 file (or an env: key) warns nothing
    await chmod(file, 0o600);
    await readKeyText('cosign.key', {}, dir, 'attest.sign.key', (w) => warnings.push(w));
    await readKeyText('env:K', { K: pem }, dir, 'attest.sign.key', (w) => warnings.push(w));
    expect(warnings).toHaveLength(1);
    expect(keyFileModeWarning('/k', 0o100640)).toMatch(/mode 0640/);
    expect(keyFileModeWarning('/k', 0o100400)).toBeUndefined();
  });
});
