/**
 * RegistryBackend over the OCI distribution API, bound to `registry.url` (`host/namespace`).
 * Verbs follow regclient's grouping; every manifest body is checked against its digest before use.
 */
import { createHash } from 'node:crypto';
import { resolveCredentials } from './credentials.js';
import { DigestMismatchError, NotFoundError, RegistryError } from './errors.js';
import { headerOf, nextLink } from '../../system/http-common.js';
import { createDispatcher } from '../../system/dispatcher.js';
import { DEFAULT_CHUNK_BYTES, uploadBlobFile } from './blob-upload.js';
import { GithubPackages } from './github-packages.js';
import { RegistryHttp, type RegistryResponse } from './http.js';
import { isDigest, isValidTag } from '../../oci/reference.js';
import { MANIFEST_ACCEPT, MediaType, type BlobFile, type BlobPutOutcome, type Descriptor, type FetchedManifest, type PutManifestResult, type RegistryBackend, type RequestStats } from './types.js';
import { githubApiBase } from '../../system/github-api.js';

/** sha256 digest of bytes. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Manifests larger than this are refused (Distribution's own limit is 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Options of the HTTP backend. */
export interface HttpBackendOptions {
  url: string;
  host: string;
  namespace: string;
  insecure: boolean;
  username?: string;
  password?: string;
  env?: NodeJS.ProcessEnv;
  concurrency?: number;
  retryBaseMs?: number;
  retries?: number;
  /** Blobs larger than this are sent in chunks of this size (PATCH); default 64 MiB. */
  chunkBytes?: number;
}

/** The OCI distribution API backend. */
export class HttpRegistryBackend implements RegistryBackend {
  readonly url: string;
  private readonly http: RegistryHttp;
  /** Whether the registry has the referrers API; unknown until first asked. */
  private referrersApi: boolean | undefined;
  /** Deletes go through the GitHub Packages API: ghcr.io, or a host MIRROR_GITHUB_PACKAGES_HOSTS names. */
  private readonly deleteViaPackages: boolean;
  private packagesApi?: GithubPackages;

  constructor(private readonly opts: HttpBackendOptions) {
    this.url = opts.url;
    // Only for GitHub's own registries: another registry that refuses DELETE (Docker Hub, a
    // read-only Harbor) must not send mirror to GitHub, where a package version of the same name
    // and digest would be someone's copy of the image on ghcr.io.
    const githubHosts = ((opts.env ?? process.env).MIRROR_GITHUB_PACKAGES_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    this.deleteViaPackages = opts.host === 'ghcr.io' || githubHosts.includes(opts.host);
    this.http = new RegistryHttp({
      host: opts.host, insecure: opts.insecure, concurrency: opts.concurrency, retries: opts.retries, retryBaseMs: opts.retryBaseMs, env: opts.env,
      credentials: () => resolveCredentials(opts.host, { username: opts.username, password: opts.password }, opts.env, opts.namespace),
    });
  }

  private repo(image: string): string {
    return this.opts.namespace ? `${this.opts.namespace}/${image}` : image;
  }

  repository(image: string): string {
    return `${this.opts.host}/${this.repo(image)}`;
  }

  private ref(image: string, reference: string): string {
    // Every manifest verb passes through here: a reference that is neither a tag nor a digest
    // (`../../v2/_catalog` from a hand-edited file) must never become part of a URL.
    if (!isDigest(reference) && !isValidTag(reference)) {
      const shown = JSON.stringify(reference.length > 80 ? `${reference.slice(0, 80)}…` : reference);
      throw new RegistryError(`${this.repository(image)}`, `${shown} is not a valid tag or digest for ${this.repository(image)}; refusing to send it to the registry.`);
    }
    return `${this.repository(image)}${isDigest(reference) ? '@' : ':'}${reference}`;
  }

  private unexpected(res: RegistryResponse, what: string, reference: string): RegistryError {
    let detail = '';
    try { detail = ` (${(JSON.parse(res.body.toString()) as { errors?: { code?: string; message?: string }[] }).errors?.map((e) => e.code ?? e.message).join(', ')})`; } catch { /* not JSON */ }
    return new RegistryError(reference, `Registry ${this.opts.host} answered HTTP ${res.status} to ${what} ${reference}${detail}.`, undefined, res.status);
  }

  async listTags(image: string): Promise<string[]> {
    const repository = this.repo(image);
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    while (path) {
      const res = await this.http.send({ method: 'GET', path, kind: 'tags/list', repository, reference: this.repository(image) });
      if (res.status === 404) return tags;
      if (res.status !== 200) throw this.unexpected(res, 'list tags of', this.repository(image));
      let page: { tags?: string[] | null };
      try { page = JSON.parse(res.body.toString()) as { tags?: string[] | null }; } catch {
        throw new RegistryError(this.repository(image), `Registry ${this.opts.host} answered a tag list that is not JSON.`);
      }
      // Tags are read back into HEADs, prunes and messages: only ones a registry may hold at all.
      // Stryker disable next-line ArrayDeclaration: a placeholder element put in the fallback is no valid tag, so the filter drops it
      tags.push(...(Array.isArray(page.tags) ? page.tags : []).filter((t): t is string => typeof t === 'string' && isValidTag(t)));
      path = nextLink(res.headers.link);
    }
    return tags;
  }

  async headManifest(image: string, reference: string): Promise<Descriptor | undefined> {
    const repository = this.repo(image);
    const ref = this.ref(image, reference);
    const res = await this.http.send({ method: 'HEAD', path: `/v2/${repository}/manifests/${reference}`, kind: 'manifest:HEAD', repository, reference: ref, headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.unexpected(res, 'HEAD', ref);
    const digest = headerOf(res.headers, 'docker-content-digest');
    const mediaType = headerOf(res.headers, 'content-type') ?? '';
    const size = Number(headerOf(res.headers, 'content-length') ?? 0);
    if (digest && isDigest(digest)) {
      if (isDigest(reference) && digest !== reference) throw new DigestMismatchError(ref, `Registry ${this.opts.host} answered digest ${digest} for ${ref}.`);
      return { mediaType, digest, size };
    }
    // Registries may omit the digest header on HEAD: fall back to GET, which verifies the body.
    return (await this.getManifest(image, reference)).descriptor;
  }

  async getManifest(image: string, reference: string): Promise<FetchedManifest> {
    const repository = this.repo(image);
    const ref = this.ref(image, reference);
    // Content that is neither the digest asked for nor the one the registry claims is a mangled transfer.
    const intact = (body: Buffer, headers: RegistryResponse['headers']) => {
      const digest = sha256(body);
      const claimed = headerOf(headers, 'docker-content-digest');
      return !(isDigest(reference) && digest !== reference) && !(claimed && claimed !== digest);
    };
    const res = await this.http.send({ method: 'GET', path: `/v2/${repository}/manifests/${reference}`, kind: 'manifest:GET', repository, reference: ref, headers: { accept: MANIFEST_ACCEPT }, maxBodyBytes: MAX_MANIFEST_BYTES, intact });
    if (res.status === 404) throw new NotFoundError(ref, `${ref} does not exist in the registry.`, undefined, 404);
    if (res.status !== 200) throw this.unexpected(res, 'GET', ref);
    const digest = sha256(res.body);
    const claimed = headerOf(res.headers, 'docker-content-digest');
    if (!intact(res.body, res.headers)) {
      throw new DigestMismatchError(ref, `Registry ${this.opts.host} sent a manifest for ${ref} whose content is ${digest}${claimed ? ` but claimed ${claimed}` : ''}; refusing it.`);
    }
    let body: { mediaType?: unknown };
    try { body = JSON.parse(res.body.toString()) as { mediaType?: unknown }; } catch {
      throw new RegistryError(ref, `Registry ${this.opts.host} sent a manifest for ${ref} that is not JSON; refusing it.`);
    }
    const mediaType = headerOf(res.headers, 'content-type') ?? (typeof body?.mediaType === 'string' ? body.mediaType : '');
    return { descriptor: { mediaType, digest, size: res.body.length }, bytes: new Uint8Array(res.body) };
  }

  async putManifest(image: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<PutManifestResult> {
    const repository = this.repo(image);
    const ref = this.ref(image, reference);
    const digest = sha256(bytes);
    if (isDigest(reference) && reference !== digest) throw new DigestMismatchError(ref, `refusing to PUT content ${digest} under digest ${reference}.`);
    const res = await this.http.send({ method: 'PUT', path: `/v2/${repository}/manifests/${reference}`, kind: 'manifest:PUT', repository, reference: ref, headers: { 'content-type': mediaType }, body: bytes });
    if (res.status !== 201 && res.status !== 200) throw this.unexpected(res, 'PUT', ref);
    const claimed = headerOf(res.headers, 'docker-content-digest');
    if (claimed && claimed !== digest) throw new DigestMismatchError(ref, `Registry ${this.opts.host} stored ${ref} as ${claimed}, not ${digest}.`);
    const ociSubject = headerOf(res.headers, 'oci-subject');
    return { mediaType, digest, size: bytes.length, ...(ociSubject ? { ociSubject } : {}) };
  }

  async deleteManifest(image: string, digest: string): Promise<void> {
    const repository = this.repo(image);
    const ref = this.ref(image, digest);
    if (!this.deleteViaPackages) {
      const res = await this.http.send({ method: 'DELETE', path: `/v2/${repository}/manifests/${digest}`, kind: 'manifest:DELETE', repository, reference: ref });
      if (res.status === 404) throw new NotFoundError(ref, `${ref} does not exist in the registry.`, undefined, 404);
      if (res.status === 202 || res.status === 200) return;
      throw this.unexpected(res, 'DELETE', ref);
    }
    // ghcr.io refuses registry-API deletes (405 UNSUPPORTED): its packages API deletes instead.
    this.packagesApi ??= new GithubPackages({
      apiUrl: githubApiBase((this.opts.env ?? process.env).GITHUB_API_URL),
      token: (this.opts.env ?? process.env).GITHUB_TOKEN, dispatcher: createDispatcher({ env: this.opts.env }),
    });
    this.http.countKind('packages:DELETE');
    if (!(await this.packagesApi.deleteDigest(repository, digest, ref))) throw new NotFoundError(ref, `${ref} does not exist in the registry.`, undefined, 404);
  }

  async referrers(image: string, digest: string): Promise<Descriptor[] | undefined> {
    // Asked once per backend: registries without the API answer 404 for every digest.
    if (this.referrersApi === false) return undefined;
    const repository = this.repo(image);
    const ref = this.ref(image, digest);
    const res = await this.http.send({ method: 'GET', path: `/v2/${repository}/referrers/${digest}`, kind: 'referrers', repository, reference: ref, headers: { accept: MediaType.OciIndex } });
    if (res.status === 404 || res.status === 400 || res.status === 405) { this.referrersApi = false; return undefined; }
    if (res.status !== 200) throw this.unexpected(res, 'list referrers of', ref);
    this.referrersApi = true;
    try {
      const index = JSON.parse(res.body.toString()) as { manifests?: Descriptor[] };
      return Array.isArray(index.manifests) ? index.manifests : [];
    } catch {
      throw new RegistryError(ref, `Registry ${this.opts.host} answered a referrers list for ${ref} that is not JSON.`);
    }
  }

  async hasBlob(image: string, digest: string): Promise<boolean> {
    const repository = this.repo(image);
    const res = await this.http.send({ method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, kind: 'blob:HEAD', repository, reference: this.ref(image, digest) });
    if (res.status === 404) return false;
    if (res.status === 200) return true;
    throw this.unexpected(res, 'HEAD blob', this.ref(image, digest));
  }

  async getBlob(image: string, digest: string): Promise<Uint8Array> {
    const repository = this.repo(image);
    const ref = this.ref(image, digest);
    const req = { method: 'GET', path: `/v2/${repository}/blobs/${digest}`, kind: 'blob:GET', repository, reference: ref, intact: (body: Buffer) => sha256(body) === digest } as const;
    let res = await this.http.send(req);
    if (res.status === 404) throw new NotFoundError(ref, `blob ${ref} does not exist in the registry.`, undefined, 404);
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      const location = headerOf(res.headers, 'location');
      if (!location) throw new RegistryError(ref, `Registry ${this.opts.host} redirected blob ${ref} without a Location.`);
      const url = new URL(location, this.http.origin);
      // Same host: the usual authenticated request. Another host (a CDN): followed without credentials.
      res = url.origin === this.http.origin ? await this.http.send({ ...req, path: url.pathname + url.search }) : await this.http.getRedirected(url, req);
    }
    if (res.status !== 200) throw this.unexpected(res, 'GET blob', ref);
    if (sha256(res.body) !== digest) throw new DigestMismatchError(ref, `blob ${ref} content does not match its digest; refusing it.`);
    return new Uint8Array(res.body);
  }

  async putBlob(image: string, digest: string, data: Uint8Array, mountFrom?: string): Promise<void> {
    if (sha256(data) !== digest) throw new DigestMismatchError(this.ref(image, digest), `refusing to upload content that is not ${digest}.`);
    if (await this.hasBlob(image, digest)) return;
    const repository = this.repo(image);
    const ref = this.ref(image, digest);
    let start = `/v2/${repository}/blobs/uploads/`;
    if (mountFrom) start += `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(this.repo(mountFrom))}`;
    const res = await this.http.send({ method: 'POST', path: start, kind: 'blob:POST', repository, reference: ref });
    if (res.status === 201) return; // mounted from the other repository: no bytes sent
    if (res.status !== 202) throw this.unexpected(res, 'start upload of', ref);
    const location = headerOf(res.headers, 'location');
    if (!location) throw new RegistryError(ref, `Registry ${this.opts.host} started an upload without a Location.`);
    const absolute = /^https?:\/\//.test(location);
    const url = new URL(location, 'http://relative.invalid');
    url.searchParams.set('digest', digest);
    const put = await this.http.send({
      method: 'PUT', path: absolute ? url.href : url.pathname + url.search, kind: 'blob:PUT', repository, reference: ref,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) }, body: data,
    });
    if (put.status !== 201) throw this.unexpected(put, 'upload', ref);
  }

  async putBlobFile(image: string, blob: BlobFile, mountFrom: string[] = [], signal?: AbortSignal): Promise<BlobPutOutcome> {
    if (await this.hasBlob(image, blob.digest)) return 'present';
    const repository = this.repo(image);
    const ref = this.ref(image, blob.digest);
    let session: RegistryResponse | undefined;
    for (const source of mountFrom) {
      if (source === image || !(await this.hasBlob(source, blob.digest))) continue;
      // The token must also cover pull on the source (distribution spec: "Mounting a blob from
      // another repository"); a registry that cannot mount answers 202 with a plain upload session.
      const mount = await this.http.send({
        method: 'POST', path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(this.repo(source))}`,
        kind: 'blob:mount', repository, reference: ref, extraScopes: [`repository:${this.repo(source)}:pull`],
      });
      if (mount.status === 201) return 'mounted';
      if (mount.status !== 202) throw this.unexpected(mount, 'mount', ref);
      session = mount;
      break;
    }
    session ??= await this.http.send({ method: 'POST', path: `/v2/${repository}/blobs/uploads/`, kind: 'blob:POST', repository, reference: ref });
    if (session.status !== 202) throw this.unexpected(session, 'start upload of', ref);
    const location = headerOf(session.headers, 'location');
    if (!location) throw new RegistryError(ref, `Registry ${this.opts.host} started an upload without a Location.`);
    const minChunk = Number(headerOf(session.headers, 'oci-chunk-min-length') ?? 0);
    await uploadBlobFile({ http: this.http, host: this.opts.host, repository, reference: ref, chunkBytes: this.opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, signal },
      blob, location, Number.isFinite(minChunk) ? minChunk : 0);
    return 'uploaded';
  }

  stats(): RequestStats {
    return this.http.stats();
  }

  async close(opts: { abort?: boolean } = {}): Promise<void> {
    await Promise.all([this.http.close(opts), this.packagesApi?.close()]);
  }
}
