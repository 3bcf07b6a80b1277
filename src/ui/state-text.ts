/** Plain-text audit views of the state: `state show` and `state history`. */
import type { HistoryEvent, Resource, State } from '../state/types.js';

const short = (digest: string | undefined) => (digest ? digest.slice(0, 19) : '—');

function resourceLines(address: string, r: Resource): string[] {
  const lines = [`${address}`, `  type       ${r.type}`, `  digest     ${r.digest}`];
  if (r.platforms?.length) lines.push(`  platforms  ${r.platforms.join(', ')}`);
  if (r.tags?.length) lines.push(`  tags       ${r.tags.join(', ')}`);
  if (r.tag && r.version) lines.push(`  points at  ${r.version}`);
  if (r.upstream) lines.push(`  upstream   ${r.upstream.tag}${r.upstream.commit ? ` (${r.upstream.commit.slice(0, 12)})` : ''}`);
  if (r.builder) lines.push(`  builder    ${r.builder}`);
  if (r.size !== undefined) lines.push(`  size       ${r.size} bytes (manifest)`);
  if (r.attestations && Object.keys(r.attestations).length > 0) {
    lines.push(`  attested   ${Object.entries(r.attestations).map(([k, d]) => `${k} ${short(d)}`).join(', ')}`);
  }
  lines.push(`  created    ${r.createdAt}`, `  updated    ${r.updatedAt}`);
  return lines;
}

/** Every selected resource as an indented block, in address order. */
export function renderStateShow(state: State, addresses: string[]): string {
  const head = `State lineage ${state.lineage}, serial ${state.serial}, ${Object.keys(state.resources).length} resources.\n`;
  if (addresses.length === 0) return `${head}No resources match.\n`;
  return `${head}\n${addresses.map((a) => resourceLines(a, state.resources[a]).join('\n')).join('\n\n')}\n`;
}

/** One line per event: time, action, address, old → new digest, who, upstream. */
export function renderHistory(events: HistoryEvent[]): string {
  if (events.length === 0) return 'No history.\n';
  return `${events.map((e) => {
    const change = e.previous && e.digest ? `${short(e.previous)} → ${short(e.digest)}` : e.digest ? short(e.digest) : e.previous ? `${short(e.previous)} → —` : '';
    const upstream = e.upstream ? ` from ${e.upstream.tag}${e.upstream.commit ? `@${e.upstream.commit.slice(0, 12)}` : ''}` : '';
    return `${e.time}  ${e.action.padEnd(9)} ${e.address}  ${change}  by ${e.who}${upstream}`.replace(/ {3,}by/, '  by');
  }).join('\n')}\n`;
}
