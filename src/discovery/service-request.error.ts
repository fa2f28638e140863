/** One instance a request was sent to, and why it failed there. */
export interface FailedAttempt {
  readonly instanceId: string;
  readonly endpoint: string;
  readonly error: string;
}

/**
 * - `no-instance`: none known, or none passing, or every one already tried.
 * - `failed`: the last attempt failed in a way that must not be retried.
 * - `timeout`: no response head within `timeout`.
 * - `aborted`: the caller's signal fired.
 */
export type ServiceRequestFailure = 'no-instance' | 'failed' | 'timeout' | 'aborted';

/** A request through a service client got no response: says the service and every instance tried. */
export class ServiceRequestError extends Error {
  constructor(
    readonly service: string,
    readonly request: { readonly method: string; readonly path: string },
    readonly failure: ServiceRequestFailure,
    readonly attempts: readonly FailedAttempt[],
    reason: string,
    /** The error of the last attempt, or of the watch when no instance was known. */
    override readonly cause?: unknown,
  ) {
    const tried =
      attempts.length === 0
        ? 'no instance was tried'
        : `tried ${attempts.map((a) => `${a.instanceId} (${a.endpoint}): ${a.error}`).join('; ')}`;
    super(`${request.method} ${request.path} to service "${service}" failed: ${reason}; ${tried}`);
    this.name = 'ServiceRequestError';
  }
}
