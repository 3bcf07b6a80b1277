/**
 * The one URL redaction of mirror: every URL that reaches an image label or annotation, a state
 * record, a provenance statement, an error or a log line goes through `withoutCredentials`.
 * `http://oauth2:glpat-…@host/app.git` in `source.git` is a working config; the same string in
 * `org.opencontainers.image.source` is a token published with the image.
 */

/** Query parameters that carry credentials (GitLab, OAuth, pre-signed CDN URLs). */
export const SECRET_PARAMS = /^(access_token|private_token|token|job_token|client_secret|password|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

/**
 * `https://user:token@host/x?private_token=t&v=2` → `https://host/x?v=2`: user info and token query
 * parameters removed; with `mask` (the debug trace) they are replaced by it instead, so a reader
 * sees that something was there. A value that is not a URL only loses a `scheme://…@` prefix.
 */
export function withoutCredentials(value: string, mask?: string): string {
  let url: URL;
  try { url = new URL(value); } catch { return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, mask ? `$1${mask}@` : '$1').replace(/\/\/[^/@\s]*@/, mask ? `//${mask}@` : '//'); }
  const secrets = [...url.searchParams.keys()].filter((k) => SECRET_PARAMS.test(k));
  if (!url.username && !url.password && secrets.length === 0) return value;
  if (url.username || url.password) { url.username = mask ?? ''; url.password = ''; }
  for (const k of secrets) {
    if (mask) url.searchParams.set(k, mask);
    else url.searchParams.delete(k);
  }
  return mask ? url.href.replaceAll(encodeURIComponent(mask), mask) : url.href;
}

/** Every `scheme://…` URL inside free text (a git error, a log line) passed through withoutCredentials. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, (u) => withoutCredentials(u));
}
