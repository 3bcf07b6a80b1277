/**
 * Resource addresses (SPEC §1): `mattermost@10.3.1/linux/arm64`, `mattermost@10.3.1`,
 * `mattermost:latest`, and for multi-image apps `outline/base-outline@1.9.2/linux/amd64`.
 * The image segment is omitted when the image is named like its app.
 */
import { AbortError } from '../errors.js';

const prefix = (app: string, image: string) => (image === app ? app : `${app}/${image}`);

/** Address of one platform build. */
export function buildAddress(app: string, image: string, version: string, platform: string): string {
  return `${prefix(app, image)}@${version}/${platform}`;
}

/** Address of a version's index (and its version tag). */
export function indexAddress(app: string, image: string, version: string): string {
  return `${prefix(app, image)}@${version}`;
}

/** Address of a floating tag. */
export function tagAddress(app: string, image: string, tag: string): string {
  return `${prefix(app, image)}:${tag}`;
}

/** The parts of an address. */
export interface ParsedAddress {
  app: string;
  image?: string;
  version?: string;
  platform?: string;
  tag?: string;
}

const NAME = '[a-z0-9]+(?:[._-][a-z0-9]+)*';
const ADDRESS = new RegExp(
  `^(${NAME})(?:/(${NAME}))?(?:@([0-9A-Za-z.+-]+)(?:/([a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?))?|:([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?$`,
);

/** Parse an address; garbage is an error that shows the accepted shapes. */
export function parseAddress(address: string): ParsedAddress {
  const m = ADDRESS.exec(address);
  if (!m) {
    throw new AbortError(
      `"${address}" is not a resource address.`,
      'Use APP, APP@VERSION, APP@VERSION/OS/ARCH, APP:TAG, or APP/IMAGE@VERSION for multi-image apps.',
    );
  }
  const [, app, image, version, platform, tag] = m;
  return { app, ...(image ? { image } : {}), ...(version ? { version } : {}), ...(platform ? { platform } : {}), ...(tag ? { tag } : {}) };
}

/**
 * Whether `address` is `target` or lies under it: `mattermost` covers the whole app (all images,
 * versions, tags), `outline/base-outline` one image, `x@1.0.0` the index and its platform builds.
 * Compared by parts, so `outline/outline` (explicit) and `outline@1.0.0` (image omitted) agree.
 */
export function matchesTarget(address: string, target: string): boolean {
  if (address === target) return true;
  const t = parseAddress(target); // a garbage target is the user's error: say so
  let a: ParsedAddress;
  try {
    a = parseAddress(address);
  } catch {
    return false;
  }
  if (a.app !== t.app) return false;
  if (t.image !== undefined && (a.image ?? a.app) !== t.image) return false;
  if (t.tag !== undefined) return a.tag === t.tag;
  if (t.version !== undefined) {
    if (a.version !== t.version) return false;
    return t.platform === undefined || a.platform === t.platform;
  }
  return true;
}
