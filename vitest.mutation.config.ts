/**
 * The tests Stryker runs against each mutant (`npm run test:mutation`): the unit and in-process
 * tests beside the code (`src/**`), which talk to real registries and emulators but start no CLI.
 * The CLI e2e, fault and hostile-corpus suites in test/ drive the built dist/, which Stryker does
 * not mutate, so they would only cost time. Stryker's vitest runner narrows this further to the
 * tests that import the mutated file (`related`) and, per mutant, to the tests that cover it.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Plus the one suite in test/ that drives src in-process: hostile registry answers against the
    // HTTP backend (wrong digests on HEAD, GET and PUT, bad tags), the registry checks' own tests.
    include: ['src/**/*.test.ts', 'test/hostile/registry-answers.test.ts'],
    // A mutant that stops a promise from settling (a DAG that never finishes, a lock never
    // released) fails its test here, and Stryker's bail ends the run: cheap. Left to Stryker's own
    // timeout (timeoutMS in stryker.config.mjs, above this) it would kill and restart the runner,
    // ~40 s each under load. The slowest scoped test takes ~2 s alone (the oci-backend lease tests);
    // tests that need more set their own timeout.
    testTimeout: 10_000,
    hookTimeout: 30_000,
    // Every temp file under one dir, removed at the end (as in the main suite).
    globalSetup: ['test/rig/suite-tmp.ts'],
  },
});
