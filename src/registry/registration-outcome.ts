/** Error codes of a request that failed before any byte reached the registry. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'ERR_INVALID_URL']);

/**
 * Whether a failed registration attempt can have left the instance registered: false only
 * when the request never reached the registry (refused or unresolvable) or the registry
 * answered with a 4xx (it refused the registration). A timeout, an abort, a reset or a 5xx
 * may have registered it. Duck-typed on `code`, `statusCode` and `cause`, not `instanceof`,
 * which fails for Node's errors inside test sandboxes such as Jest's.
 */
export function mayHaveRegistered(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { code, statusCode, cause } = e as { code?: unknown; statusCode?: unknown; cause?: unknown };
    if (typeof code === 'string' && NOT_SENT.has(code)) return false;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return false;
    e = cause;
  }
  return true;
}
