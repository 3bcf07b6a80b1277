import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every temp file of the suite under one dir, removed at the end (test/rig/suite-tmp.ts).
    globalSetup: ['test/rig/suite-tmp.ts'],
  },
});
