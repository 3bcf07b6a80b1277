/** Whether mirror runs in CI (a job log, not a person): CI=true (set by most CI systems) or GitHub Actions. */
export function inCi(env: NodeJS.ProcessEnv): boolean {
  return env.CI === 'true' || env.GITHUB_ACTIONS === 'true';
}
