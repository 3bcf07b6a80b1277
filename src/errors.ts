/**
 * Errors by cause (Shopify CLI's habit). One top-level handler (src/cli/handle-error.ts) maps them
 * to exit codes and one clear sentence; nothing else calls process.exit.
 */
import { redactUrlsIn, withoutCredentials } from './system/redact-url.js';

/** Something the user can fix: bad config, rate limit, wrong credentials, corrupt state. Exit 1, no stack. */
export class AbortError extends Error {
  /** What to do next, printed after the message. */
  readonly nextSteps?: string;
  constructor(message: string, nextSteps?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
    this.nextSteps = nextSteps;
  }
}

/** A broken invariant inside mirror itself. Exit 1, asks for a bug report. */
export class BugError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BugError';
  }
}

/**
 * The line of a tool's output that says what went wrong: its last `fatal:`/`error:` line (git ends
 * with advice such as "and the repository exists."), else its last line.
 */
export function summaryLine(output: string): string {
  const lines = output.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.findLast((l) => /^(fatal|error)\b/i.test(l)) ?? lines.at(-1) ?? 'no output';
}

/** A child process (git, buildah, docker) failed. */
export class ExternalError extends AbortError {
  readonly command: string;
  readonly args: readonly string[];
  readonly stderr: string;
  constructor(command: string, args: readonly string[], stderr: string, nextSteps?: string, label?: string) {
    const lastLine = summaryLine(stderr);
    // Name the subcommand (`buildah build`), not global flags like `--root /tmp/…`.
    const sub = args.find((a, i) => !a.startsWith('-') && !(i > 0 && args[i - 1].startsWith('--') && !args[i - 1].includes('=')));
    // Tools quote the URL they failed on (git, buildah); a token in it must not reach the terminal or CI log.
    super(`${label ?? `${command}${sub ? ` ${sub}` : ''}`} failed: ${redactUrlsIn(lastLine)}`, nextSteps);
    this.name = 'ExternalError';
    this.command = command;
    this.args = args;
    this.stderr = stderr;
  }
}

/** Config failed validation; each issue names its path (`apps.alpha.upstream.repository: Required`). */
export class ConfigError extends AbortError {
  readonly issues: readonly string[];
  constructor(file: string, issues: readonly string[]) {
    super(
      `Invalid config ${file}: ${issues.join('; ')}`,
      'Fix the config and run `mirror validate`.',
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** An upstream API answered something unusable (rate limit, garbage, wrong shape, down). */
export class UpstreamError extends AbortError {
  readonly app: string;
  readonly url: string;
  constructor(app: string, url: string, message: string, nextSteps?: string, options?: { cause?: unknown }) {
    super(redactUrlsIn(`Upstream of app "${app}" (${withoutCredentials(url)}): ${message}`), nextSteps, options);
    this.name = 'UpstreamError';
    this.app = app;
    this.url = withoutCredentials(url);
  }
}

/** The state file cannot be trusted; it is never overwritten when this is thrown. */
export class StateError extends AbortError {
  constructor(message: string, nextSteps?: string, options?: { cause?: unknown }) {
    super(message, nextSteps, options);
    this.name = 'StateError';
  }
}
