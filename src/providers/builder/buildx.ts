/**
 * docker buildx, the old pipeline's builder: push by digest straight from BuildKit
 * (`push-by-digest=true,name-canonical=true`, no tag), digest read from --metadata-file, a local
 * cache rotated after each build so it does not grow without bound (the seed's cache dance).
 */
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ExternalError } from '../../errors.js';
import { run } from '../../system/exec.js';
import { tempDir } from '../../system/run-dir.js';
import type { BuildRequest, BuildResult, Builder } from './types.js';

/** The `docker buildx build` argument list (exported: tests check it exactly, no daemon here). */
export function buildxArgs(req: BuildRequest, repository: string, metadataFile: string, cacheDir?: string): string[] {
  const args = ['buildx', 'build', '--platform', req.platform,
    '--file', path.join(req.sourceDir, req.dockerfile),
    '--output', `type=image,name=${repository},push-by-digest=true,name-canonical=true,push=true`,
    '--metadata-file', metadataFile, '--provenance=false'];
  if (cacheDir) args.push('--cache-from', `type=local,src=${cacheDir}`, '--cache-to', `type=local,dest=${cacheDir}-new,mode=max`);
  for (const [k, v] of Object.entries(req.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(req.labels)) args.push('--label', `${k}=${v}`);
  args.push(path.join(req.sourceDir, req.context));
  return args;
}

/** The buildx builder. */
export class BuildxBuilder implements Builder {
  readonly name = 'buildx' as const;
  constructor(private readonly opts: { cacheDir?: string } = {}) {}

  /** The cache is kept on purpose: it is what makes the next run fast. */
  async close(): Promise<void> {}

  async build(req: BuildRequest): Promise<BuildResult> {
    const dir = await tempDir('mirror-buildx-');
    const metadata = path.join(dir, 'metadata.json');
    const cache = this.opts.cacheDir ? path.join(this.opts.cacheDir, req.platform.replace(/\//g, '-')) : undefined;
    try {
      await run('docker', buildxArgs(req, req.registry.repository(req.image), metadata, cache), { log: req.log, signal: req.signal, nextSteps: 'Check that docker buildx works (docker buildx ls).' });
      if (cache) {
        await rm(cache, { recursive: true, force: true });
        await rename(`${cache}-new`, cache);
      }
      const meta = JSON.parse(await readFile(metadata, 'utf8')) as Record<string, unknown>;
      const digest = meta['containerimage.digest'];
      const descriptor = meta['containerimage.descriptor'] as { mediaType?: string; size?: number } | undefined;
      if (typeof digest !== 'string') throw new ExternalError('docker', ['buildx', 'build'], 'no containerimage.digest in the metadata file');
      return { digest, mediaType: descriptor?.mediaType ?? 'application/vnd.oci.image.manifest.v1+json', size: descriptor?.size ?? 0 };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
