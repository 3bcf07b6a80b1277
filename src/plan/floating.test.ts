/** Floating tag templates rendered per version. */
import { describe, expect, it } from 'vitest';
import { floatingTagFor } from './floating.js';

describe('floatingTagFor', () => {
  it('renders {major} and {minor}; a version that is not semver (a hand-edited state) leaves the template as is', () => {
    expect(floatingTagFor('{major}.{minor}', '10.3.1')).toBe('10.3');
    expect(floatingTagFor('latest', '10.3.1')).toBe('latest');
    expect(floatingTagFor('{major}', 'main')).toBe('{major}');
  });
});
