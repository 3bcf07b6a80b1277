/**
 * The attest provider as the plan sees it: reading a version's referrers. The plan reaches
 * providers only through such public modules (scripts/check-layers.mjs); apply uses the signing
 * and SBOM modules directly. Keep sigstore out of here: plan must not load it
 * (test/e2e/startup.test.ts).
 */
export { kindOfReferrer, listReferrers, type ReferrerList } from './referrers.js';
