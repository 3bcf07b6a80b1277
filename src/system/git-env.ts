/**
 * Environment for every git that mirror runs on an upstream-supplied URL. No prompt (a CI job must
 * fail, not hang), and only ordinary transports: `ext::` runs an arbitrary command and `fd::`
 * talks to a file descriptor, so a config or a user gitconfig that allows them must not reach git.
 */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
};
