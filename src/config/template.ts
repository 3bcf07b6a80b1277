/**
 * Templates in `ref`, `buildArgs`, `requires` and patch strings (SPEC §2). Placeholders are
 * checked at config time so a typo fails `mirror validate`, not a build six hours later.
 */

/** Every placeholder a template may use; `{image:NAME}` is matched separately. */
export const PLACEHOLDERS = [
  'version', 'tag', 'major', 'minor', 'patch', 'arch', 'os', 'variant', 'platform', 'registry',
] as const;

/** A known placeholder name. */
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Values for rendering; `images` maps an image name to its `repository@digest`. */
export type TemplateVars = Partial<Record<Placeholder, string>> & { images?: Record<string, string> };

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;

/** Placeholders in a template that are not known (`{verison}` → ['verison']). */
export function unknownPlaceholders(template: string, knownImages?: readonly string[]): string[] {
  const unknown: string[] = [];
  for (const [, name] of template.matchAll(PLACEHOLDER_RE)) {
    if ((PLACEHOLDERS as readonly string[]).includes(name)) continue;
    if (name.startsWith('image:')) {
      const image = name.slice('image:'.length);
      if (image && (!knownImages || knownImages.includes(image))) continue;
    }
    unknown.push(name);
  }
  return unknown;
}

/** Placeholders used by a template (for knowing whether a value varies per platform). */
export function usedPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER_RE)].map((m) => m[1]);
}

/** Render a template; a placeholder without a value is an error (a bug: validation should have caught it). */
export function renderTemplate(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER_RE, (whole, name: string) => {
    if (name.startsWith('image:')) {
      const value = vars.images?.[name.slice('image:'.length)];
      if (value === undefined) throw new Error(`template ${JSON.stringify(template)}: no value for {${name}}`);
      return value;
    }
    const value = vars[name as Placeholder];
    if (value === undefined) throw new Error(`template ${JSON.stringify(template)}: no value for {${name}}`);
    return value;
  });
}

/** Template variables of a version on a platform (`linux/arm64/v8` → os, arch, variant). */
export function versionVars(version: string, tag: string, platform?: string, registry?: string): TemplateVars {
  const [major, minor, patchWithPre] = version.split('.');
  const patch = (patchWithPre ?? '').split(/[-+]/)[0];
  const vars: TemplateVars = { version, tag, major, minor, patch };
  if (registry !== undefined) vars.registry = registry;
  if (platform) {
    const [os, arch, variant] = platform.split('/');
    Object.assign(vars, { platform, os, arch, variant: variant ?? '' });
  }
  return vars;
}
