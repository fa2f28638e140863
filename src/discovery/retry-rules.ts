/**
 * @internal How far a failed attempt got:
 * - `not-sent`: no connection carried it (refused, connect timeout, a pool already closed);
 *   no handler can have seen it.
 * - `no-response`: the connection was reset or closed, or an HTTP/2 GOAWAY came, before the
 *   response head. A keep-alive connection the server closed as the request went out looks
 *   like this, and so does a server that crashed while handling it.
 * - `other`: anything later or unknown (a timeout waiting for the head, a bad response).
 */
export type FailureKind = 'not-sent' | 'no-response' | 'other';

const NOT_SENT = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const NO_RESPONSE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Methods RFC 9110 defines as idempotent: repeating one has the effect of sending it once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Read by `code` (and a `cause`'s), never `instanceof`: an Error from another realm is still one. */
export function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
}

/** @internal Only for an error the request call threw, i.e. before the response head arrived. */
export function failureKind(err: unknown): FailureKind {
  const code = errorCode(err);
  if (code === undefined) return 'other';
  if (NOT_SENT.has(code)) return 'not-sent';
  return NO_RESPONSE.has(code) ? 'no-response' : 'other';
}

/** @internal */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/**
 * @internal A request goes to another instance only when it cannot have reached a handler
 * (`not-sent`), or when it may have but repeating it is harmless: the method is idempotent, or
 * the caller said so with `idempotent: true` (a POST carrying an idempotency key).
 */
export function mayRetry(kind: FailureKind, idempotent: boolean): boolean {
  return kind === 'not-sent' || (kind === 'no-response' && idempotent);
}

/** @internal A short, human cause for an attempt's failure. */
export function describeFailure(err: unknown): string {
  const code = errorCode(err);
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' && message !== '' ? message : String(err);
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  return code !== undefined && !text.includes(code) ? `${text} (${code})` : text;
}
