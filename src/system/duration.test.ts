import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('parses durations and refuses garbage', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('45')).toBe(45_000);
    // two decimals, and spaces around it (an env var written as ` 2m `)
    expect(parseDuration('1.25s')).toBe(1250);
    expect(parseDuration(' 2m \n')).toBe(120_000);
    for (const bad of ['soon', '', '-1s', '10x', '1m30']) expect(() => parseDuration(bad)).toThrow(/not a duration/);
  });
});
