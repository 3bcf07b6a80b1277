/** Who is running mirror, as the state lock and the state history name it. */
import os from 'node:os';

/** Who is running, for lock and history: the CI run URL in GitHub Actions (the useful link), else user@host. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // Containers often run as a uid with no passwd entry.
    user = env.USER ?? env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${os.hostname()}`;
}
