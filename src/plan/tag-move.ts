/**
 * How a floating tag move reads, from the fields that decide it (`from`, `fromDigest`, `version`):
 * the planner's reason and the views' label both come from here, so a label can no longer say
 * `absent` beside a reason that says the tag exists, or `1.10.0 → 1.10.0` for a re-point.
 */
import type { Action, ActionOf } from './types.js';

type Move = Pick<ActionOf<'tag'>, 'tag' | 'version' | 'from' | 'fromDigest'>;

/** `sha256:e1c1e1c1e1c1…`: a digest as the labels cut it. */
const cut = (digest: string) => `${digest.slice(0, 19)}…`;

/** Where the tag points now: a version, an unknown digest, or nowhere. */
function current(m: Move): { kind: 'version'; version: string } | { kind: 'digest'; digest: string } | { kind: 'absent' } {
  if (m.from) return { kind: 'version', version: m.from };
  if (m.fromDigest) return { kind: 'digest', digest: m.fromDigest };
  return { kind: 'absent' };
}

/** The label of a tag row: `latest 1.0.0 → 2.0.0`, `latest absent → 2.0.0`, `latest sha256:e1c1… → 2.0.0`, `latest → new 1.10.0 index`. */
export function tagMoveLabel(m: Move, prefix: string): string {
  const tag = `${prefix}${m.tag}`;
  const to = m.version;
  const now = current(m);
  if (now.kind === 'version') return now.version === to ? `${tag} → new ${to} index` : `${tag} ${now.version} → ${to}`;
  return `${tag} ${now.kind === 'digest' ? cut(now.digest) : 'absent'} → ${to}`;
}

/** The planner's reason for a tag move (`repair drift: ` first when the tag drifted). */
export function tagMoveReason(m: Move, drifted: boolean): string {
  const tag = m.tag;
  const to = m.version;
  const now = current(m);
  const reason = now.kind === 'absent' ? `${tag} → ${to} (missing in registry)`
    : now.kind === 'digest' ? `${tag} moves from an unknown digest (${cut(now.digest)}) → ${to}`
      : now.version === to ? `${tag} re-points to the new ${to} index` : `${tag} moves ${now.version} → ${to}`;
  return drifted ? `repair drift: ${reason}` : reason;
}

/** The plan's tag actions that move one image's tags (retention waits for them and counts their tags at the new target). */
export function tagMovesOf(planned: Action[], app: string, image: string): ActionOf<'tag'>[] {
  return planned.filter((a) => a.type === 'tag').filter((a) => a.app === app && a.image === image);
}
