/**
 * Secrets never leave the environment: plan, a CI-style build into a fragment, state merge and
 * publish (real buildah build, htpasswd registry, GitHub token, signing key, step summary), some
 * runs with MIRROR_DEBUG=1; then every file the runs wrote (state, backup, plan, fragment, step
 * summary, saved logs, temp dirs, the registry's storage) and every stdout/stderr are searched for
 * each secret, its base64 form and the Basic auth header value. 0 hits, or the test names them.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../rig/registry.js';
import { startSeedWorld, type SeedWorld } from '../rig/world.js';
import { mirror, type CliResult } from './cli.js';

let world: SeedWorld;
let secured: TestRegistry;
const user = 'ci-bot';
const password = `pw-${randomBytes(12).toString('hex')}`;
const token = `ghp_${randomBytes(18).toString('hex')}`;
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

beforeAll(async () => {
  [world, secured] = await Promise.all([
    startSeedWorld({ sources: { mattermost: ['10.4.1'], mostlymatter: [], outline: [] } }),
    startRegistry({ auth: { username: user, password } }),
  ]);
  const mattermost = world.config.apps.mattermost;
  await world.writeConfig({
    ...world.config,
    registry: { url: secured.url('mirror'), insecure: true, username: 'env:MIRROR_REGISTRY_USERNAME', password: 'env:MIRROR_REGISTRY_PASSWORD' },
    defaults: { ...world.config.defaults, maxVersions: 1, platforms: ['linux/amd64'], attest: { sbom: false, provenance: false, sign: { key: 'env:MIRROR_SIGNING_KEY' } } },
    apps: { mattermost },
  });
}, 120_000);
afterAll(async () => { await Promise.all([world?.stop(), secured?.stop()]); });

/** Every form a secret could leak in. */
function needles(): [string, string][] {
  const pemBody = signingKey.split('\n').filter((l) => l && !l.startsWith('-----'));
  const forms: [string, string][] = [
    ['registry password', password],
    ['GITHUB_TOKEN', token],
    ['signing key (PEM)', signingKey.trim()],
    ['signing key (longest base64 line)', pemBody.reduce((a, b) => (b.length > a.length ? b : a), '')],
    ['basic auth header value', Buffer.from(`${user}:${password}`).toString('base64')],
  ];
  for (const [what, value] of [['registry password', password], ['GITHUB_TOKEN', token], ['signing key', signingKey]] as const) {
    forms.push([`${what} (base64)`, Buffer.from(value).toString('base64')]);
  }
  return forms;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

describe('secrets never leave the environment', () => {
  it('plan, build into a fragment, merge and publish (some with MIRROR_DEBUG=1): 0 hits in every file written and every output', async () => {
    const tmp = path.join(world.dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const summary = path.join(world.dir, 'step-summary.md');
    // The base image lives on the world's plain-HTTP registry, not on registry.url: like any other
    // insecure registry it is declared in the user's registries.conf, which mirror's builds keep.
    const registriesConf = path.join(world.dir, 'registries.conf');
    await writeFile(registriesConf, `[[registry]]\nlocation = "${world.registry.host}"\ninsecure = true\n`);
    const env = {
      MIRROR_REGISTRY_USERNAME: user, MIRROR_REGISTRY_PASSWORD: password, MIRROR_SIGNING_KEY: signingKey, GITHUB_TOKEN: token,
      GITHUB_STEP_SUMMARY: summary, GITHUB_ACTIONS: 'true', TMPDIR: tmp, CONTAINERS_REGISTRIES_CONF: registriesConf,
    };
    const outputs: [string, CliResult][] = [];
    const run = async (args: string[], debug = false) => {
      const r = await mirror(args, { cwd: world.dir, env: { ...env, ...(debug ? { MIRROR_DEBUG: '1' } : {}) } });
      outputs.push([`${debug ? 'MIRROR_DEBUG=1 ' : ''}mirror ${args.join(' ')}`, r]);
      // Saved like a CI log would be, so the scan below covers them as files too.
      await writeFile(path.join(world.dir, `log-${outputs.length}.txt`), `${r.stdout}\n${r.stderr}`);
      return r;
    };

    // Given a plan saved with the registry credentials and the GitHub token in use
    const plan = await run(['plan', '--out', 'plan.json'], true);
    expect(plan.exitCode, plan.stderr).toBe(0);
    // When a build runner builds into a fragment, the merge job folds it in and publishes
    const build = await run(['apply', 'plan.json', '--only', 'build', '--fragment-out', 'fragment.json']);
    expect(build.exitCode, build.stdout + build.stderr).toBe(0);
    const merge = await run(['state', 'merge', 'fragment.json']);
    expect(merge.exitCode, merge.stderr).toBe(0);
    const publish = await run(['apply', 'plan.json', '--only', 'merge,tag,attest'], true);
    expect(publish.exitCode, publish.stdout + publish.stderr).toBe(0);
    // The signing key was really used: the signature bundle is in the registry the scan below covers
    expect(publish.stdout).toMatch(/Apply: 3 done, 0 failed, 1 skipped\./);
    expect(publish.stdout).toMatch(/mirror: attached signature sha256:[0-9a-f]{64} \(signed with key /);
    // And a failing run (wrong password) prints its error too
    const denied = await mirror(['plan'], { cwd: world.dir, env: { ...env, MIRROR_REGISTRY_PASSWORD: `${password}-wrong`, MIRROR_DEBUG: '1' } });
    outputs.push(['wrong password', denied]);
    expect(denied.exitCode).toBe(1);
    const again = await run(['apply', '--auto-approve'], true);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes.');

    // Then the credentials were really used (else 0 hits would prove nothing)
    expect(world.upstream.requests.some((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    const debug = outputs.filter(([name]) => name.startsWith('MIRROR_DEBUG')).map(([, r]) => r.stderr).join('\n');
    expect(debug).toMatch(/^mirror-debug registry ← 201 PUT http:\/\/127\.0\.0\.1:\d+\/v2\/mirror\/mattermost\/manifests\/10\.4\.1 \[/m);
    expect(debug).toMatch(/^mirror-debug registry → GET http:\/\/127\.0\.0\.1:\d+\/v2\/mirror\/mattermost\/tags\/list\?n=1000 \[.*authorization: Basic \*\*\*/m);
    expect(debug).toMatch(/^mirror-debug upstream → GET http:\/\/127\.0\.0\.1:\d+\/repos\/mattermost\/mattermost\/releases\?per_page=100 \[.*authorization: Bearer \*\*\*/m);
    expect(debug).toMatch(/www-authenticate: Basic realm="mirror-test"/);
    // And what the run wrote exists: state + backup, plan, fragment, step summary
    for (const f of ['.mirror/state.json', '.mirror/state.json.backup', 'plan.json', 'fragment.json', 'step-summary.md']) {
      expect((await stat(path.join(world.dir, f))).size, f).toBeGreaterThan(0);
    }

    // When every file written (the world dir: state, plan, fragment, summary, logs, TMPDIR) and
    // what the registry stored are searched, with every output
    const files = [...(await filesUnder(world.dir)), ...(await filesUnder(secured.storage))];
    const hits: string[] = [];
    const forms = needles();
    for (const file of files) {
      const text = (await readFile(file)).toString('latin1');
      for (const [what, value] of forms) if (text.includes(value)) hits.push(`${what} in ${file}`);
    }
    for (const [name, r] of outputs) {
      for (const [what, value] of forms) {
        if (r.stdout.includes(value)) hits.push(`${what} in stdout of ${name}`);
        if (r.stderr.includes(value)) hits.push(`${what} in stderr of ${name}`);
      }
    }
    // Then there are no hits
    console.log(`secrets scan: ${files.length} files and ${outputs.length * 2} outputs, ${forms.length} secret forms, ${hits.length} hits`);
    expect(files.length).toBeGreaterThan(10);
    expect(hits).toEqual([]);
  });
});
