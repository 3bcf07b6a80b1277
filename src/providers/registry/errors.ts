/** Typed registry errors, each carrying the reference it concerns (regclient's habit). Never credentials. */
import { AbortError } from '../../errors.js';

/** Base of registry errors. */
export class RegistryError extends AbortError {
  readonly reference: string;
  readonly status?: number;
  constructor(reference: string, message: string, nextSteps?: string, status?: number, options?: { cause?: unknown }) {
    super(message, nextSteps, options);
    this.name = new.target.name;
    this.reference = reference;
    this.status = status;
  }
}

/** Manifest, blob or repository absent. */
export class NotFoundError extends RegistryError {}
/** Credentials missing or rejected (401). */
export class UnauthorizedError extends RegistryError {}
/** Authenticated but not allowed (403). */
export class DeniedError extends RegistryError {}
/** Still throttled after the retries (429). */
export class RateLimitedError extends RegistryError {}
/** The registry lacks an API mirror needs. */
export class UnsupportedApiError extends RegistryError {}
/** Content whose digest is not what it claims: never trusted, never passed on. */
export class DigestMismatchError extends RegistryError {}
/** Connection refused, DNS failure, or 5xx after the retries. */
export class RegistryUnavailableError extends RegistryError {}
