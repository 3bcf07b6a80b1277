import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { largePlan, smallPlan } from '../../../test/fixtures/plans.js';
import type { Plan } from '../../plan/types.js';
import { approvalFor, type Approval } from '../approval.js';
import { PlanView, type PlanViewMode } from './PlanView.js';

const KEYS = { up: '\u001B[A', down: '\u001B[B', enter: '\r', escape: '\u001B', backspace: '\u007F' };
afterEach(() => cleanup());

/** Render the view into a fake stdout; `frame()` is the last frame with colours stripped, as lines. */
function view(plan: Plan, opts: { width?: number; height?: number; mode?: PlanViewMode; approval?: Approval } = {}) {
  const onDone = vi.fn();
  const app = render(<PlanView plan={plan} width={opts.width ?? 100} height={opts.height ?? 40} mode={opts.mode ?? 'browse'} approval={opts.approval} onDone={onDone} />);
  const frame = () => stripVTControlCharacters(app.lastFrame() ?? '').split('\n');
  // Ink reads keys from stdin asynchronously: after each key, wait for the frame it causes (a key
  // that changes nothing, like a lone esc Ink holds back to tell it from a sequence, times out).
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      const before = app.frames.length;
      app.stdin.write(k);
      const until = Date.now() + 300;
      while (app.frames.length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { frame, press, onDone };
}

describe('PlanView', () => {
  it('draws app → version → platform with markers, reasons, the tag move, drift first, and the summary footer', () => {
    // Given a plan with two new versions, a latest move, a drifted version and an up-to-date app
    // When it is drawn 100 columns wide
    const { frame } = view(smallPlan());
    // Then every row is one line, cut with … at the width
    expect(frame()).toEqual([
      'mirror plan — registry.local/mirror',
      '> ▾ ! mattermost                4 builds, 2 merges, 1 tag move, 2 attestations · window 10.4.1 … 10…',
      '      ! mattermost@10.3.2       moved outside mirror: state sha256:aaaaaaaaaaaa, registry sha256:bb…',
      '      → latest 10.3.2 → 10.4.1  latest moves 10.3.2 → 10.4.1',
      '    ▾ + 10.4.1                  2 builds, 1 merge, 1 attestation — new upstream version',
      '        + linux/amd64           new upstream version',
      '        + linux/arm64           new upstream version',
      '        ~ index                 new upstream version',
      '        ✓ attest                not attested yet',
      '    ▾ + 10.4.0                  2 builds, 1 merge, 1 attestation — missing in registry',
      '        + linux/amd64           missing in registry',
      '        + linux/arm64           missing in registry',
      '        ~ index                 missing in registry',
      '        ✓ attest                not attested yet',
      '      outline                   up to date · window 1.10.0 (1 version), latest 1.10.0',
      'Plan: 4 builds, 2 merges, 1 tag move, 2 attestations.',
      '↑↓ move · enter fold · / filter · ? help · q quit',
    ]);
  });

  it('folds and unfolds with enter and space where the cursor is (arrows and j/k move it)', async () => {
    const { frame, press } = view(smallPlan());
    // When moving to the 10.4.1 row (down, down, then j and enter arriving together, as from fast typing)
    await press(KEYS.down, KEYS.down, `j${KEYS.enter}`);
    // Then its platforms are hidden and it shows as folded
    expect(frame()).toContain('>   ▸ + 10.4.1                  2 builds, 1 merge, 1 attestation — new upstream version');
    expect(frame().filter((l) => l.includes('new upstream version'))).toHaveLength(1);
    // When moving down to 10.4.0 and back up with k, then space
    await press('j', 'k', ' ');
    // Then 10.4.1 is open again
    expect(frame().filter((l) => l.includes('new upstream version'))).toHaveLength(4);
    // When folding the app from its row (up to the top, enter)
    await press(KEYS.up, KEYS.up, KEYS.up, KEYS.up, KEYS.enter);
    expect(frame().slice(1, 3)).toEqual(['> ▸ ! mattermost                4 builds, 2 merges, 1 tag move, 2 attestations · window 10.4.1 … 10…', '      outline                   up to date · window 1.10.0 (1 version), latest 1.10.0']);
  });

  it('filters by app or version with /, keeps the filter on enter and clears it with esc', async () => {
    const { frame, press } = view(smallPlan());
    // When filtering on a version
    await press('/', '1', '0', '.', '4', '.', '0');
    // Then only that version is left, under its app, and the filter line shows what is typed
    expect(frame().slice(1, -2)).toEqual([
      '> ▾ ! mattermost                4 builds, 2 merges, 1 tag move, 2 attestations · window 10.4.1 … 10…',
      '    ▾ + 10.4.0                  2 builds, 1 merge, 1 attestation — missing in registry',
      '        + linux/amd64           missing in registry',
      '        + linux/arm64           missing in registry',
      '        ~ index                 missing in registry',
      '        ✓ attest                not attested yet',
      '/10.4.0▏  enter keeps · esc clears',
    ]);
    // When the filter names an app, with a typo corrected by backspace, and enter keeps it
    await press(KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, 'o', 'u', 't', 'x', KEYS.backspace, KEYS.enter);
    expect(frame().slice(1, -2)).toEqual(['>     outline                   up to date · window 1.10.0 (1 version), latest 1.10.0', 'filter: out  esc clears']);
    // When nothing matches, it says so
    await press('/', 'z', KEYS.enter);
    expect(frame()[1]).toBe('nothing matches "outz"');
    // When esc is pressed, everything is back
    await press(KEYS.escape);
    await vi.waitFor(() => expect(frame()).toHaveLength(17));
  });

  it('shows key help on ? and closes it on any key; q quits', async () => {
    const { frame, press, onDone } = view(smallPlan());
    await press('?');
    expect(frame().slice(1, 3)).toEqual(['Keys', '  ↑ ↓  k j        move']);
    expect(frame()).toContain('  q               quit');
    // …and what each marker means (a pending attestation's ✓ is something to do, not done)
    expect(frame()).toContain('Markers');
    expect(frame()).toContain('  ✓  attest: SBOM/provenance/signature to attach (not yet done)');
    expect(frame()).toContain('  !  drift (registry and state disagree) or a preflight problem');
    await press('x');
    expect(frame()[1]).toMatch(/^> ▾ ! mattermost/);
    expect(onDone).not.toHaveBeenCalled();
    await press('q');
    await vi.waitFor(() => expect(onDone).toHaveBeenCalledExactlyOnceWith(false));
  });

  it('confirm mode: y approves; n, q and esc abort', async () => {
    const yes = view(smallPlan(), { mode: 'confirm' });
    expect(yes.frame()[0]).toBe('mirror apply — review the plan');
    expect(yes.frame().at(-1)).toBe('y apply · n/q abort · ↑↓ move · enter fold · / filter · ? help');
    await yes.press('j', 'y');
    await vi.waitFor(() => expect(yes.onDone).toHaveBeenCalledExactlyOnceWith(true));
    for (const key of ['n', 'q']) {
      const no = view(smallPlan(), { mode: 'confirm' });
      await no.press(key, 'y');
      await vi.waitFor(() => expect(no.onDone, key).toHaveBeenCalledExactlyOnceWith(false));
    }
    const esc = view(smallPlan(), { mode: 'confirm' });
    await esc.press(KEYS.escape);
    await vi.waitFor(() => expect(esc.onDone).toHaveBeenCalledExactlyOnceWith(false));
  });

  it('confirm mode names registry, state and scope; a plan that repairs drift is applied only by typing yes', async () => {
    // Given smallPlan (it repairs a drifted tag) confirmed under --target mattermost
    const plan = { ...smallPlan(), state: { lineage: '1a2b3c4d-0000-4000-8000-000000000000', serial: 3 } };
    const approval = approvalFor(plan, { targets: ['mattermost'] });
    const v = view(plan, { mode: 'confirm', approval });
    expect(v.frame()[1]).toBe('registry registry.local/mirror · state serial 3, lineage 1a2b3c4d · scope --target mattermost');
    expect(v.frame().at(-2)).toBe('This plan repairs 1 drifted tag. Type yes and enter to apply.');
    expect(v.frame().at(-1)).toBe('type yes ⏎ apply · n/q abort · ↑↓ move · enter fold · / filter · ? help');
    // When pressing y alone, then enter: nothing is approved, the answer is refused
    await v.press('y');
    expect(v.frame().at(-2)).toBe('Type yes to apply: y▏  enter answers · esc clears');
    await v.press(KEYS.enter);
    expect(v.frame().at(-2)).toBe('Only yes applies; nothing was applied. This plan repairs 1 drifted tag.');
    expect(v.onDone).not.toHaveBeenCalled();
    // (while typing, n and q are letters of the answer, not an abort)
    await v.press('y', 'n', KEYS.backspace, 'e', 's');
    expect(v.frame().at(-2)).toBe('Type yes to apply: yes▏  enter answers · esc clears');
    expect(v.onDone).not.toHaveBeenCalled();
    await v.press(KEYS.enter);
    await vi.waitFor(() => expect(v.onDone).toHaveBeenCalledExactlyOnceWith(true));
    // And an additive plan keeps the single y, under the same header
    const additive = { ...plan, drift: [] };
    const y = view(additive, { mode: 'confirm', approval: approvalFor(additive, {}) });
    expect(y.frame()[1]).toBe('registry registry.local/mirror · state serial 3, lineage 1a2b3c4d · scope all apps');
    await y.press('y');
    await vi.waitFor(() => expect(y.onDone).toHaveBeenCalledExactlyOnceWith(true));
  });

  it('preflight problems lead their app as ! rows with the check and reason', () => {
    const plan = { ...smallPlan(), drift: [], preflight: [{ address: 'mattermost@10.4.0', check: 'ref' as const, reason: 'tag v10.4.0 does not exist in https://git.example/mm' }] };
    const { frame } = view(plan);
    // (the app's marker is ! although it has no drift: the problem is the most consequential thing in it)
    expect(frame()[1]).toMatch(/^> ▾ ! mattermost +4 builds/);
    expect(frame()[2]).toBe('      ! mattermost@10.4.0       ref: tag v10.4.0 does not exist in https://git.example/mm');
  });

  it('adapts to a narrow terminal: no line is wider than the screen', () => {
    const { frame } = view(smallPlan(), { width: 40, height: 30 });
    expect(Math.max(...frame().map((l) => [...l].length))).toBeLessThanOrEqual(40);
    expect(frame()[5]).toBe('        + linux/amd64     new upstream …');
    // The summary wraps instead of being cut: every count is readable
    expect(frame().slice(-3)).toEqual(['Plan: 4 builds, 2 merges, 1 tag move, 2', 'attestations.', '↑↓ move · enter fold · / filter · ? hel…']);
  });

  it('a terminal whose locale is not UTF-8 gets ASCII markers, folds and hints, in the same columns', () => {
    vi.stubEnv('LC_ALL', 'C');
    try {
      const { frame } = view(smallPlan());
      expect(frame().join('\n')).toMatch(/^[\x00-\x7F]*$/);
      expect(frame()[1]).toMatch(/^> v ! mattermost {16}4 builds, 2 merges, 1 tag move, 2 attestations - window 10\.4\.1 \. 10\.$/);
      expect(frame()[3]).toBe('      > latest 10.3.2 > 10.4.1  latest moves 10.3.2 > 10.4.1');
      expect(frame()[8]).toBe('        * attest                not attested yet');
      expect(frame().at(-1)).toBe('^v move - enter fold - / filter - ? help - q quit');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a summary wrapped on a short, narrow screen still leaves the frame shorter than the screen', () => {
    const { frame } = view(largePlan(200), { width: 30, height: 12 });
    expect(frame().slice(-3, -1)).toEqual(['Plan: 2000 builds, 1000', 'merges, 1000 attestations.']);
    expect(frame()).toHaveLength(11);
  });

  it('a 200-app plan opens with versions folded and draws only the rows that fit, scrolling with the cursor', async () => {
    // Given 200 apps × 5 versions (4,000 actions) on a 30-line terminal
    const { frame, press } = view(largePlan(200), { height: 30 });
    // Then the frame is shorter than the screen (a full-screen frame makes Ink redraw everything)
    expect(frame()).toHaveLength(29);
    expect(frame()[0]).toBe('mirror plan — registry.local/mirror  1–26 of 1200');
    expect(frame()[2]).toBe('    ▸ + 1.4.0          2 builds, 1 merge, 1 attestation — missing in registry');
    expect(frame().at(-2)).toBe('Plan: 2000 builds, 1000 merges, 1000 attestations.');
    // When jumping to the end, the window follows
    await press('G');
    expect(frame()[0]).toBe('mirror plan — registry.local/mirror  1175–1200 of 1200');
    expect(frame()[26]).toBe('>   ▸ + 1.0.0          2 builds, 1 merge, 1 attestation — missing in registry');
    expect(frame()).toHaveLength(29);
    // And filtering narrows 1,200 rows to one app
    await press('/', 'a', 'p', 'p', '1', '9', '9', KEYS.enter);
    expect(frame()[0]).toBe('mirror plan — registry.local/mirror');
    expect(frame()[1]).toMatch(/^> ▾ \+ app199 /);
  });
});
