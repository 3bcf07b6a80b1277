/** Floating tag templates (`latest`, `{major}`, `{major}.{minor}`). */
import semver from 'semver';

/** Render a floating tag template for a version (`{major}.{minor}` → `10.3`). */
export function floatingTagFor(template: string, version: string): string {
  const v = semver.parse(version);
  if (!v) return template;
  return template.replace('{major}', String(v.major)).replace('{minor}', String(v.minor));
}
