/**
 * The OCI 1.1 referrers API Distribution 2.8 lacks, for the rig's registry front (token-registry.ts
 * `referrers`), as the distribution spec (v1.1 spec.md "Listing Referrers", "Pushing Manifests with
 * Subject") says: a manifest PUT with a `subject` is indexed and answered with
 * `OCI-Subject: <subject digest>`; `GET /v2/<name>/referrers/<digest>` answers an image index of
 * descriptors (artifactType from the manifest, else its config media type; its annotations),
 * filtered by `?artifactType=` with `OCI-Filters-Applied`; deleting a manifest drops it.
 * `sendSubjectHeader: false` plays a registry that lists referrers but leaves the header out,
 * which clients must answer by keeping the tag fallback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Referrers API state and handlers, in front of the Distribution at `backendHost`. */
export class ReferrersApi {
  /** Referrers listings answered: repository and subject digest. */
  readonly requests: { repository: string; digest: string }[] = [];
  /** `repository@subject` → descriptors of the manifests that name it. */
  private readonly index = new Map<string, Record<string, unknown>[]>();

  constructor(private readonly backendHost: string, private readonly sendSubjectHeader: boolean) {}

  /** Answer `req` when it is the API's (true); note deletes and let everything else through (false). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const list = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (list && req.method === 'GET') {
      this.requests.push({ repository: list[1], digest: list[2] });
      const wanted = url.searchParams.get('artifactType');
      const all = this.index.get(`${list[1]}@${list[2]}`) ?? [];
      const manifests = wanted ? all.filter((d) => d.artifactType === wanted) : all;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', ...(wanted ? { 'oci-filters-applied': 'artifactType' } : {}) });
      res.end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
      return true;
    }
    const put = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (put && req.method === 'PUT') {
      this.putWithSubject(req, res, put[1]).catch(() => { if (!res.headersSent) res.writeHead(502); res.end(); });
      return true;
    }
    if (put && req.method === 'DELETE') {
      for (const [key, entries] of this.index) this.index.set(key, entries.filter((d) => d.digest !== put[2]));
    }
    return false;
  }

  /** A manifest PUT: forwarded whole, indexed by its subject, answered with OCI-Subject. */
  private async putWithSubject(req: IncomingMessage, res: ServerResponse, repository: string): Promise<void> {
    const body = await readBody(req);
    const answer = await fetch(`http://${this.backendHost}${req.url}`, { method: 'PUT', headers: { 'content-type': String(req.headers['content-type'] ?? '') }, body });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => { out[k] = v; });
    let manifest: { mediaType?: string; artifactType?: string; config?: { mediaType?: string }; subject?: { digest?: string }; annotations?: Record<string, string> } = {};
    try { manifest = JSON.parse(body.toString('utf8')) as typeof manifest; } catch { /* Distribution answers it */ }
    const subject = manifest.subject?.digest;
    if (answer.status === 201 && subject) {
      const digest = out['docker-content-digest'];
      const key = `${repository}@${subject}`;
      const entry = { mediaType: manifest.mediaType ?? req.headers['content-type'], digest, size: body.length, artifactType: manifest.artifactType ?? manifest.config?.mediaType, ...(manifest.annotations ? { annotations: manifest.annotations } : {}) };
      this.index.set(key, [...(this.index.get(key) ?? []).filter((d) => d.digest !== digest), entry]);
      if (this.sendSubjectHeader) out['oci-subject'] = subject;
    }
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  }
}
