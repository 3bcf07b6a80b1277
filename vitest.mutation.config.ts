/**
 * The tests Stryker runs against each mutant (`npm run test:mutation`): the unit and in-process
 * tests beside the code (`src/**`), which talk to real registries and emulators but start no CLI.
 * The CLI e2e, fault and hostile suites in test/ drive the built dist/, which Stryker does not
 * mutate, so they would only cost time. Stryker's vitest runner narrows this further to the
 * tests that import the mutated file (`related`) and, per mutant, to the tests that cover it.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
