import { describe, expect, it } from 'vitest';
import { renderTemplate, unknownPlaceholders, versionVars } from './template.js';

describe('templates', () => {
  it('renders version parts, platform parts and {image:NAME}', () => {
    // Given the variables of 10.3.1 on linux/arm64/v8
    const vars = { ...versionVars('10.3.1', 'v10.3.1', 'linux/arm64/v8', 'r.example/ns'), images: { base: 'r/base@sha256:ab' } };
    // When templates are rendered
    const out = renderTemplate('{registry}|{tag}|{major}.{minor}.{patch}|{os}/{arch}/{variant}|{platform}|{image:base}', vars);
    // Then every placeholder is replaced
    expect(out).toBe('r.example/ns|v10.3.1|10.3.1|linux/arm64/v8|linux/arm64/v8|r/base@sha256:ab');
  });

  it('takes the patch number without a prerelease part and an empty variant when there is none', () => {
    expect(renderTemplate('{patch}-{variant}', versionVars('2.0.1-rc.1', 'v2.0.1-rc.1', 'linux/amd64'))).toBe('1-');
  });

  it('lists unknown placeholders, allowing {image:X} only for known images', () => {
    expect(unknownPlaceholders('{version}{verison}{image:base}{image:other}{}', ['base'])).toEqual(['verison', 'image:other', '']);
  });

  it('refuses to render a placeholder without a value instead of leaving it in a URL', () => {
    expect(() => renderTemplate('x/{arch}', versionVars('1.0.0', 'v1.0.0'))).toThrow(/no value for \{arch\}/);
  });
});
