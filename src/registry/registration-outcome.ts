/** Error codes of a request that failed before any byte reached the registry. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
]);

/**
 * How far a failed registration attempt got:
 * - `not-sent`: it never reached the registry (refused or unresolvable);
 * - `refused`: the registry answered with a 4xx, refusing the registration;
 * - `unknown`: a timeout, an abort, a reset or a 5xx, which may have registered it.
 *
 * Duck-typed on `code`, `statusCode` and `cause`, not `instanceof`, which fails for Node's
 * errors inside test sandboxes such as Jest's.
 */
export function registrationOutcome(error: unknown): 'not-sent' | 'refused' | 'unknown' {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { code, statusCode, cause } = e as { code?: unknown; statusCode?: unknown; cause?: unknown };
    if (typeof code === 'string' && NOT_SENT.has(code)) return 'not-sent';
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return 'refused';
    e = cause;
  }
  return 'unknown';
}
