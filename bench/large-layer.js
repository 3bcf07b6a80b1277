#!/usr/bin/env node
// bench/large-layer — `npm run bench:large-layer` (or `node bench/large-layer.js [MiB]` after `npm run build`).
// The push half of a buildah build (what mirror's own process does after `buildah push oci:`):
// upload an OCI layout holding one 1 GiB layer to a real docker-registry, in a child process,
// and report its wall time and peak RSS — chunked (default 64 MiB PATCH chunks) and monolithic
// (one streamed PUT). For comparison, the peak RSS of reading the layer into memory, which is
// what the upload did before blobs were streamed. Target: peak RSS ≤ 300 MB.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jiti = createJiti(import.meta.url);
const { startRegistry } = await jiti.import(path.join(root, 'test/rig/registry.ts'));
const mib = Number(process.argv[2] ?? 1024);

/** A layout with one image whose single layer is `mib` MiB of random bytes, written 16 MiB at a time. */
async function makeLayout(dir) {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const tmp = path.join(blobs, 'layer.tmp');
  const hash = createHash('sha256');
  const out = createWriteStream(tmp);
  for (let i = 0; i < mib / 16; i++) {
    const chunk = randomBytes(16 * 1024 * 1024);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  const layer = hash.digest('hex');
  await rename(tmp, path.join(blobs, layer));
  const put = async (obj) => {
    const bytes = Buffer.from(JSON.stringify(obj));
    const d = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(blobs, d), bytes);
    return { digest: `sha256:${d}`, size: bytes.length };
  };
  const config = await put({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${layer}`] } });
  const manifest = await put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layer}`, size: mib * 1024 * 1024 }] });
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  return path.join(blobs, layer);
}

/** Run `code` in a child node; it prints JSON, to which peak RSS (MB) and wall time are added. */
function child(code, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, ['--input-type=module', '-e', `${code}\nconsole.log(JSON.stringify({ ...(globalThis.result ?? {}), rssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));`],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ ...JSON.parse(out.trim().split('\n').pop()), ms: Date.now() - t0 }) : reject(new Error(`child exited ${code}`))));
  });
}

const dir = await mkdtemp(path.join(tmpdir(), 'mirror-bench-layer-'));
const registry = await startRegistry();
try {
  console.log(`making a layout with one ${mib} MiB layer…`);
  const layerFile = await makeLayout(dir);
  const upload = (image) => `
    const { uploadLayout } = await import(${JSON.stringify(path.join(root, 'dist/providers/builder/upload-layout.js'))});
    const { createRegistryBackend } = await import(${JSON.stringify(path.join(root, 'dist/providers/registry/index.js'))});
    const b = createRegistryBackend({ url: ${JSON.stringify(registry.url('bench'))}, insecure: true }, { env: process.env });
    const r = await uploadLayout(${JSON.stringify(dir)}, b, ${JSON.stringify(image)});
    globalThis.result = { digest: r.digest, requests: b.stats().byKind };
    await b.close();`;
  const chunked = await child(upload('chunked'));
  console.log(`chunked (64 MiB PATCH): ${(chunked.ms / 1000).toFixed(1)} s, peak RSS ${chunked.rssMB} MB, ${JSON.stringify(chunked.requests)}`);
  const mono = await child(upload('monolithic'), { MIRROR_UPLOAD_CHUNK_BYTES: String(4 * 1024 ** 3) });
  console.log(`monolithic (one streamed PUT): ${(mono.ms / 1000).toFixed(1)} s, peak RSS ${mono.rssMB} MB, ${JSON.stringify(mono.requests)}`);
  const before = await child(`const { readFile } = await import('node:fs/promises'); const b = await readFile(${JSON.stringify(layerFile)}); globalThis.result = { bytes: b.length };`);
  console.log(`for comparison, reading the layer into memory (the upload before streaming): peak RSS ${before.rssMB} MB`);
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}
