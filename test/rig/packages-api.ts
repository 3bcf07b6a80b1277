/**
 * The GitHub Packages REST API (docs.github.com/rest/packages/packages) as the rig's GHCR-like
 * registry serves it on its token host (token-registry.ts `ghcr`), since ghcr.io's registry API
 * answers DELETE with 405 UNSUPPORTED: `GET /users/{owner}` (type User or Organization), version
 * listings under /users or /orgs (versions named by manifest digest, newest first, paged with Link
 * as GitHub pages them; one per page here so lookups have to page), and DELETE of a version by id,
 * each with a Bearer GITHUB_TOKEN.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { TestRegistry } from './registry.js';

/** Who the API serves. */
export interface GhcrSettings {
  owner: string;
  ownerType: 'User' | 'Organization';
  token: string;
}

/** Manifests Distribution stores for a repository (its revisions, read from its storage), with the tags on each. */
async function versionsOf(storage: string, repository: string): Promise<{ id: number; digest: string; tags: string[] }[]> {
  const root = path.join(storage, 'docker/registry/v2/repositories', repository, '_manifests');
  const revisions = path.join(root, 'revisions', 'sha256');
  if (!existsSync(revisions)) return [];
  const tags = new Map<string, string[]>();
  for (const tag of existsSync(path.join(root, 'tags')) ? await readdir(path.join(root, 'tags')) : []) {
    const link = path.join(root, 'tags', tag, 'current', 'link');
    if (!existsSync(link)) continue;
    const d = (await readFile(link, 'utf8')).trim();
    tags.set(d, [...(tags.get(d) ?? []), tag]);
  }
  const out = [];
  for (const hex of await readdir(revisions)) {
    const link = path.join(revisions, hex, 'link');
    if (!existsSync(link)) continue; // deleted
    out.push({ id: Number.parseInt(hex.slice(0, 8), 16), digest: `sha256:${hex}`, tags: tags.get(`sha256:${hex}`) ?? [], created: (await stat(link)).mtimeMs });
  }
  // GitHub lists package versions newest first.
  return out.sort((a, b) => b.created - a.created || a.digest.localeCompare(b.digest));
}

/** Answer one request of the GitHub Packages API for `ghcr.owner`; returns the status it answered. */
export async function servePackagesApi(ctx: { backend: TestRegistry; ghcr: GhcrSettings; apiBase: string }, req: IncomingMessage, res: ServerResponse, url: URL): Promise<number> {
  const { backend, ghcr } = ctx;
  const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
    return status;
  };
  if (req.headers.authorization !== `Bearer ${ghcr.token}`) return answer(401, { message: 'Requires authentication' });
  const user = /^\/users\/([^/]+)$/.exec(url.pathname);
  if (user) return user[1] === ghcr.owner ? answer(200, { login: ghcr.owner, type: ghcr.ownerType }) : answer(404, { message: 'Not Found' });
  const m = /^\/(users|orgs)\/([^/]+)\/packages\/container\/([^/]+)\/versions(?:\/(\d+))?$/.exec(url.pathname);
  // GitHub answers 404 for a user's package asked under /orgs, and the other way round.
  const kind = ghcr.ownerType === 'Organization' ? 'orgs' : 'users';
  if (!m || m[1] !== kind || m[2] !== ghcr.owner) return answer(404, { message: 'Not Found' });
  const repository = `${ghcr.owner}/${decodeURIComponent(m[3])}`;
  const versions = await versionsOf(backend.storage, repository);
  if (req.method === 'DELETE' && m[4]) {
    const v = versions.find((x) => x.id === Number(m[4]));
    if (!v) return answer(404, { message: 'Not Found' });
    const del = await fetch(`http://${backend.host}/v2/${repository}/manifests/${v.digest}`, { method: 'DELETE' });
    return answer(del.status === 202 ? 204 : 500);
  }
  if (req.method !== 'GET' || m[4]) return answer(404, { message: 'Not Found' });
  // One per page whatever was asked: every lookup past the newest version has to follow Link.
  const perPage = 1;
  const page = Number(url.searchParams.get('page') ?? 1);
  const slice = versions.slice((page - 1) * perPage, page * perPage);
  const next = page * perPage < versions.length ? `<${ctx.apiBase}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"` : undefined;
  return answer(200, slice.map((v) => ({ id: v.id, name: v.digest, metadata: { package_type: 'container', container: { tags: v.tags } } })), next ? { link: next } : {});
}
