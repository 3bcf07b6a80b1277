/**
 * `--target` and `--platform` checked against the config before anything runs: an address whose
 * app, image or platform the config does not have would plan nothing and say "No changes", which
 * reads as "all good". It is an error instead, with the closest name the config does have.
 */
import leven from 'leven';
import type { ResolvedConfig } from '../config/model.js';
import { AbortError } from '../errors.js';
import { parseAddress } from '../state/addresses.js';

/** The candidate closest to `given` (edit distance), when it is close enough to be a likely typo. */
export function closest(given: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = leven(given.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(given.length / 3)) ? best.name : undefined;
}

function unknown(what: string, given: string, candidates: readonly string[], flag: string): AbortError {
  const guess = closest(given, candidates);
  return new AbortError(
    `${flag} ${given}: no app in scope is built for that ${what}.${guess ? ` Did you mean ${guess}?` : ''}`,
    `Known: ${candidates.join(', ')}.`,
  );
}

/** Throw when a target names an app, image or platform the config lacks. */
export function checkTargets(config: ResolvedConfig, targets: readonly string[]): void {
  const apps = config.apps.map((a) => a.name);
  for (const target of targets) {
    const t = parseAddress(target);
    const app = config.apps.find((a) => a.name === t.app);
    if (!app) {
      const guess = closest(t.app, apps);
      throw new AbortError(`--target ${target}: the config has no app "${t.app}".${guess ? ` Did you mean ${target.replace(t.app, guess)}?` : ''}`, `Apps: ${apps.join(', ')}.`);
    }
    const images = app.images.map((i) => i.name);
    if (t.image !== undefined && !images.includes(t.image)) {
      const guess = closest(t.image, images);
      throw new AbortError(`--target ${target}: app ${app.name} has no image "${t.image}".${guess ? ` Did you mean ${target.replace(`/${t.image}`, `/${guess}`)}?` : ''}`, `Images of ${app.name}: ${images.join(', ')}.`);
    }
    if (t.platform !== undefined && !app.platforms.includes(t.platform)) {
      const guess = closest(t.platform, app.platforms);
      throw new AbortError(`--target ${target}: app ${app.name} is not built for ${t.platform}.${guess ? ` Did you mean ${target.replace(t.platform, guess)}?` : ''}`, `Platforms of ${app.name}: ${app.platforms.join(', ')}.`);
    }
  }
}

/** Throw when `--platform` is not a platform of any app in scope. */
export function checkPlatform(config: ResolvedConfig, platform: string | undefined, targets: readonly string[] = []): void {
  if (platform === undefined) return;
  const scoped = targets.length > 0 ? config.apps.filter((a) => targets.some((t) => parseAddress(t).app === a.name)) : config.apps;
  const platforms = [...new Set(scoped.flatMap((a) => a.platforms))];
  if (!platforms.includes(platform)) throw unknown('platform', platform, platforms, '--platform');
}
