/** Plain-text audit views of the state: `state show` (tables per app and version) and `state history`. */
import type { HistoryEvent, Resource, State } from '../state/types.js';
import { columns } from './columns.js';

const short = (digest: string | undefined) => (digest ? digest.slice(0, 19) : '—');

/** Who last changed an address, and with which command (`root@host (apply)`, or the CI run URL). */
function lastChange(state: State, address: string): string {
  const event = state.history.findLast((e) => e.address === address);
  return event ? `${event.who} (${event.operation})` : '—';
}

const upstreamText = (r: Resource) => (r.upstream ? `${r.upstream.tag}${r.upstream.commit ? ` (commit ${r.upstream.commit.slice(0, 12)})` : ''}` : '—');
const attestedText = (r: Resource) => (r.attestations && Object.keys(r.attestations).length > 0 ? Object.entries(r.attestations).map(([k, d]) => `${k} ${short(d)}`).join(', ') : '—');

/** One version: the index as key/value lines, then its platform builds as a table. */
function versionLines(state: State, key: string, addresses: string[]): string[] {
  const index = state.resources[key];
  const lines = [`  ${key}`];
  if (index) {
    lines.push(...columns([
      ['index', index.digest],
      ['platforms', index.platforms?.join(', ') || '—'],
      ['tags', index.tags?.join(', ') || '—'],
      ['upstream', upstreamText(index)],
      ['recorded', `${index.updatedAt} by ${lastChange(state, key)}`],
      ['attested', attestedText(index)],
    ], '    '));
  }
  const builds = addresses.filter((a) => a !== key);
  if (builds.length > 0) {
    lines.push(...columns([['PLATFORM', 'DIGEST', 'BUILDER', 'UPSTREAM', 'BUILT', 'BY'], ...builds.map((a) => {
      const r = state.resources[a];
      return [r.platform ?? a.slice(key.length + 1), r.digest, r.builder ?? '—', upstreamText(r), r.createdAt, lastChange(state, a)];
    })], '    '));
  }
  return lines;
}

/**
 * The audit view: per app, per version a table of the index (digest, platforms, tags, upstream tag
 * and commit, when and by whom, attestations) and its platform builds; then the floating tags.
 */
export function renderStateShow(state: State, addresses: string[]): string {
  const head = `State lineage ${state.lineage}, serial ${state.serial}, ${Object.keys(state.resources).length} resources.\n`;
  if (addresses.length === 0) return `${head}No resources match.\n`;
  const apps = new Map<string, { versions: Map<string, string[]>; tags: string[] }>();
  for (const address of addresses) {
    const r = state.resources[address];
    const app = apps.get(r.app) ?? { versions: new Map<string, string[]>(), tags: [] as string[] };
    apps.set(r.app, app);
    if (r.type === 'tag') { app.tags.push(address); continue; }
    // The version's key is its index address: everything before the platform.
    const key = r.type === 'build' && r.platform && address.endsWith(`/${r.platform}`) ? address.slice(0, -(r.platform.length + 1)) : address;
    app.versions.set(key, [...(app.versions.get(key) ?? []), address]);
  }
  const out: string[] = [];
  for (const [name, app] of apps) {
    out.push(name);
    for (const [key, list] of app.versions) out.push(...versionLines(state, key, list), '');
    if (app.tags.length > 0) {
      out.push('  floating tags', ...columns([['TAG', 'POINTS AT', 'DIGEST', 'BY'], ...app.tags.map((a) => {
        const r = state.resources[a];
        return [a, r.version ?? '—', r.digest, lastChange(state, a)];
      })], '    '), '');
    }
  }
  return `${head}\n${out.join('\n')}`;
}

/** One aligned row per event: time, action, address, old → new digest, who, upstream (the last column, left ragged). */
export function renderHistory(events: HistoryEvent[]): string {
  if (events.length === 0) return 'No history.\n';
  const rows = events.map((e) => {
    const change = e.previous && e.digest ? `${short(e.previous)} → ${short(e.digest)}` : e.digest ? short(e.digest) : e.previous ? `${short(e.previous)} → —` : '—';
    const upstream = e.upstream ? `${e.upstream.tag}${e.upstream.commit ? `@${e.upstream.commit.slice(0, 12)}` : ''}` : '—';
    return [e.time, e.action, e.address, change, e.who, upstream];
  });
  return `${columns([['TIME', 'ACTION', 'ADDRESS', 'DIGEST', 'BY', 'UPSTREAM'], ...rows]).join('\n')}\n`;
}
