/**
 * GitHub rate-limit budget, asked before a plan spends it: `GET /rate_limit` does not count
 * against the limit (docs: rest/rate-limit "Get rate limit status for the authenticated user"),
 * so a plan that would run dry says so first, with the reset time, instead of failing half way.
 */
import { z } from 'zod';
import { getJson } from './http.js';
import { githubApiBase, githubHeaders } from '../../system/github-api.js';

const RateLimitSchema = z.object({
  resources: z.object({ core: z.object({ limit: z.number(), remaining: z.number(), reset: z.number() }) }),
});

/** The core REST budget of an API host (for the token, or the address when anonymous). */
export interface GithubBudget {
  limit: number;
  remaining: number;
  /** Unix seconds. */
  reset: number;
}

/** The budget, or undefined when it cannot be read (GitHub Enterprise without rate limiting answers 404). */
export async function githubBudget(apiUrl: string | undefined, token: string | undefined): Promise<GithubBudget | undefined> {
  try {
    return (await getJson('(rate limit)', `${githubApiBase(apiUrl)}/rate_limit`, RateLimitSchema, { headers: githubHeaders(token) })).data.resources.core;
  } catch {
    return undefined; // the plan's own requests will say what is wrong with the API
  }
}

/** The sentence to print when `budget` cannot cover `needed` requests, else undefined. */
export function budgetShortfall(host: string, budget: GithubBudget, needed: number, hasToken: boolean): string | undefined {
  if (budget.remaining >= needed) return undefined;
  const reset = new Date(budget.reset * 1000).toISOString();
  const hint = hasToken
    ? 'Wait for the reset, or use a token with a higher limit.'
    : 'Set GITHUB_TOKEN: a token gets 5,000 requests an hour instead of 60, and answers that did not change (304) then cost nothing.';
  return `GitHub API ${host}: ${budget.remaining} of ${budget.limit} requests left until ${reset}, and this plan needs at least ${needed} (one per app); apps past the limit will fail. ${hint}`;
}
