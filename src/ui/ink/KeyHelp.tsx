/** The `?` screen: every key of the plan view (and of apply's confirmation). */
import { Box, Text } from 'ink';
import { forTerminal } from '../charset.js';

const KEYS: Array<[string, string]> = [
  ['↑ ↓  k j', 'move'],
  ['PgUp PgDn  g G', 'page up / down, top / bottom'],
  ['enter  space', 'fold or unfold an app or version'],
  ['← →  h l', 'fold / unfold (← on a row inside goes to its parent)'],
  ['/', 'filter by app or version (enter keeps it, esc clears it)'],
  ['?', 'this help (any key closes it)'],
];

/** Key help; `confirm` adds apply's answers. */
export function KeyHelp({ confirm, needsYes = false }: { confirm: boolean; needsYes?: boolean }) {
  const apply: [string, string] = needsYes ? ['yes ⏎', 'apply this plan (it deletes, replaces or repairs: the word is typed)'] : ['y', 'apply this plan'];
  const keys: Array<[string, string]> = confirm ? [apply, ['n  q  esc', 'abort: nothing is applied'], ...KEYS] : [...KEYS, ['q', 'quit']];
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      {keys.map(([k, what]) => <Text key={k}>{forTerminal(`  ${k.padEnd(16)}`)}<Text dimColor>{forTerminal(what)}</Text></Text>)}
    </Box>
  );
}
