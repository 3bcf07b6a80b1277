import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseRegistriesConfPath, registriesConf, writeRegistriesConf } from './registries-conf.js';

const SYSTEM = 'unqualified-search-registries = ["docker.io"]\n\n[[registry]]\nprefix = "docker.io"\nlocation = "mirror.ci.example:5000"\n';

describe('registries.conf for registry.insecure', () => {
  it('keeps the base file whole and marks only the named registry insecure', () => {
    expect(registriesConf(SYSTEM, ['127.0.0.1:5000'])).toBe(`${SYSTEM}
# mirror: registry.insecure (Docker's insecure-registries) for 127.0.0.1:5000 only
[[registry]]
location = "127.0.0.1:5000"
insecure = true
`);
  });

  it('ends an unterminated base line before its own table, and starts from nothing without a base', () => {
    expect(registriesConf('unqualified-search-registries = ["quay.io"]', ['r:1'])).toMatch(/^unqualified-search-registries = \["quay.io"\]\n\n# mirror/);
    expect(registriesConf('', ['r:1'])).toMatch(/^\n# mirror: .*\n\[\[registry\]\]\nlocation = "r:1"\ninsecure = true\n$/);
  });

  it('leaves out a v1 base (it cannot be mixed with [[registry]] tables) and says so', () => {
    const conf = registriesConf('[registries.search]\nregistries = ["docker.io"]\n', ['r:1'], '/etc/containers/registries.conf');
    expect(conf).not.toContain('[registries.search]');
    expect(conf).toContain('# mirror: /etc/containers/registries.conf is in the v1 format');
    expect(conf).toContain('location = "r:1"');
  });

  it('starts from the file containers/image would read: CONTAINERS_REGISTRIES_CONF, then the user file, then the system file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirror-regconf-'));
    try {
      expect(baseRegistriesConfPath({ CONTAINERS_REGISTRIES_CONF: '/x/r.conf' }, dir)).toBe('/x/r.conf');
      await mkdir(path.join(dir, '.config', 'containers'), { recursive: true });
      await writeFile(path.join(dir, '.config', 'containers', 'registries.conf'), SYSTEM);
      expect(baseRegistriesConfPath({}, dir)).toBe(path.join(dir, '.config', 'containers', 'registries.conf'));
      const base = path.join(dir, 'base.conf');
      await writeFile(base, SYSTEM);
      const file = await writeRegistriesConf(dir, ['127.0.0.1:5000'], { CONTAINERS_REGISTRIES_CONF: base });
      expect(await readFile(file, 'utf8')).toBe(registriesConf(SYSTEM, ['127.0.0.1:5000']));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
