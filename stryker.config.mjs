// Mutation testing of the core (issue 20): where a wrong answer publishes a wrong image or loses
// a record. `npm run test:mutation`; a narrower run: `npx stryker run --mutate 'src/plan/**/*.ts'`.
// @ts-check
// The state stores' conformance suite and the in-memory fake live in test/state/, outside src/.
const notTests = ['!**/*.test.ts', '!src/**/types.ts', '!src/plan/plan-schema.ts'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  mutate: [
    'src/plan/**/*.ts',
    'src/state/**/*.ts',
    'src/apply/executor.ts',
    'src/apply/steps.ts',
    'src/apply/stale.ts',
    'src/apply/patches.ts',
    // the registry client's reference checks, and its digest checks (HEAD, GET, PUT manifest; GET, PUT blob)
    'src/oci/reference.ts',
    'src/providers/registry/http-backend.ts:102-104',
    'src/providers/registry/http-backend.ts:114-126',
    'src/providers/registry/http-backend.ts:139-143',
    'src/providers/registry/http-backend.ts:194-194',
    'src/providers/registry/http-backend.ts:199-199',
    // secret redaction in --debug output
    'src/system/debug.ts',
    // attestation verification
    'src/providers/attest/verify-bundle.ts',
    'src/providers/attest/check.ts',
    ...notTests,
  ],
  // Module-level constants would need every test run per mutant; their behaviour is asserted
  // through the functions that use them, whose mutants are run.
  ignoreStatic: true,
  // Reruns only test mutants whose code or covering tests changed. Not committed (it changes with
  // every edit and would conflict across branches); the weekly workflow keeps it in its cache.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  thresholds: { high: 90, low: 80, break: null },
  timeoutMS: 10_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
