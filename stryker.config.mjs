// Mutation testing of the core (issue 20): where a wrong answer publishes a wrong image or loses
// a record. `npm run test:mutation`; a narrower run: `npx stryker run --mutate 'src/plan/**/*.ts'`.
// @ts-check
import { readFileSync } from 'node:fs';
// The state stores' conformance suite and the in-memory fake live in test/state/, outside src/.
const notTests = ['!**/*.test.ts', '!src/**/types.ts', '!src/plan/plan-schema.ts'];

// The digest and reference checks of the registry client are a few lines of http-backend.ts; the
// rest (pagination, uploads, redirects) is transport. Found by their text, not fixed line numbers,
// so an edit above them does not silently move the mutated range onto other code; a check that is
// renamed away fails the run here instead.
const HTTP_BACKEND = 'src/providers/registry/http-backend.ts';
const backendLines = readFileSync(HTTP_BACKEND, 'utf8').split('\n');
/** 1-based line of the one line containing `needle`. */
function lineOf(needle) {
  const found = backendLines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (found.length !== 1) throw new Error(`stryker.config.mjs: expected one line of ${HTTP_BACKEND} containing ${JSON.stringify(needle)}, found ${found.length}; update the mutated ranges.`);
  return found[0];
}
const range = (from, to = from) => `${HTTP_BACKEND}:${lineOf(from)}-${lineOf(to)}`;
const registryChecks = [
  range('private ref(image: string, reference: string)', "isDigest(reference) ? '@' : ':'"), // tag or digest, never a path
  range("typeof t === 'string' && isValidTag(t)"), // tags listed by the registry
  range('if (digest && isDigest(digest)) {', 'return { mediaType, digest, size };'), // HEAD manifest
  range('const intact = (body: Buffer, headers', "return !(isDigest(reference) && digest !== reference)"), // GET manifest
  range('if (!intact(res.body, res.headers))'),
  range('if (isDigest(reference) && reference !== digest)'), // PUT manifest
  range('if (claimed && claimed !== digest)'),
  range('intact: (body: Buffer) => sha256(body) === digest'), // GET blob
  range('if (sha256(res.body) !== digest)'),
  range('if (sha256(data) !== digest)'), // PUT blob
];

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
    ...registryChecks,
    // secret redaction in --debug output
    'src/system/debug.ts',
    // attestation verification
    'src/providers/attest/verify-bundle.ts',
    'src/providers/attest/check.ts',
    // Not the plan's registry reads (services/ until issue 13 moved them under plan/): request
    // orchestration that only the CLI e2e suites reach, and those drive dist/, which is not mutated
    // (a fresh-clone run scored them 0 %: 326 mutants, no coverage). What they feed the diff is.
    '!src/plan/observe/**',
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
  // Above vitest.mutation.config.ts's testTimeout, so a hanging mutant fails its test (cheap) before
  // Stryker kills and restarts the runner (expensive).
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
