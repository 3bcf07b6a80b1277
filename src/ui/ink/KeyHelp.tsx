/** The `?` screen: every key of the plan view (and of apply's confirmation). */
import { Box, Text } from 'ink';
import { forTerminal } from '../charset.js';
import { DRIFT_MARKER, MARKERS } from '../plan-summary.js';

const KEYS: Array<[string, string]> = [
  ['↑ ↓  k j', 'move'],
  ['PgUp PgDn  g G', 'page up / down, top / bottom'],
  ['enter  space', 'fold or unfold an app or version'],
  ['← →  h l', 'fold / unfold (← on a row inside goes to its parent)'],
  ['/', 'filter by app or version (enter keeps it, esc clears it)'],
  ['?', 'this help (any key closes it)'],
];

// What each marker means: the plan's rows carry only the symbol. Every row is something to do,
// so ✓ is an attestation still to attach, not one that is done.
const MARKER_MEANINGS: Array<[string, string]> = [
  [MARKERS.build, 'build: a platform image to build'],
  [MARKERS.merge, 'merge: the multi-platform index to push'],
  [MARKERS.tag, 'tag move: a floating tag to point at a version'],
  [MARKERS.attest, 'attest: SBOM/provenance/signature to attach (not yet done)'],
  [MARKERS.prune, 'prune: a version to delete from the registry'],
  [MARKERS.import, 'import: an image the registry holds, adopted into the state'],
  [DRIFT_MARKER, 'drift (registry and state disagree) or a preflight problem'],
];

/** Key help; `confirm` adds apply's answers. */
export function KeyHelp({ confirm, needsYes = false }: { confirm: boolean; needsYes?: boolean }) {
  const apply: [string, string] = needsYes ? ['yes ⏎', 'apply this plan (it deletes, replaces or repairs: the word is typed)'] : ['y', 'apply this plan'];
  const keys: Array<[string, string]> = confirm ? [apply, ['n  q  esc', 'abort: nothing is applied'], ...KEYS] : [...KEYS, ['q', 'quit']];
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      {keys.map(([k, what]) => <Text key={k}>{forTerminal(`  ${k.padEnd(16)}`)}<Text dimColor>{forTerminal(what)}</Text></Text>)}
      <Text bold>Markers</Text>
      {MARKER_MEANINGS.map(([m, what]) => <Text key={what}>{forTerminal(`  ${m}  `)}<Text dimColor>{forTerminal(what)}</Text></Text>)}
    </Box>
  );
}
