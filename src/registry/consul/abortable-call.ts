import { EventEmitter } from 'node:events';
import { isError } from './consul-errors.js';

/**
 * Runs one `consul` client call under an AbortSignal.
 *
 * The client takes no AbortSignal; it takes a per-call `ctx` EventEmitter whose `cancel` event
 * makes papi (its HTTP layer) abort the request and destroy its socket. We bridge the signal to
 * that, and also race the signal so the caller is released at once whatever the client does.
 */
export async function abortableCall<T>(
  signal: AbortSignal,
  call: (ctx: EventEmitter) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; aborted: true } | { ok: false; aborted: false; error: unknown }> {
  if (signal.aborted) return { ok: false, aborted: true };
  const ctx = new EventEmitter();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<{ ok: false; aborted: true }>((resolve) => {
    onAbort = () => {
      // papi checks `ctx.canceled` before it sends a request that has not left yet.
      (ctx as EventEmitter & { canceled?: boolean }).canceled = true;
      ctx.emit('cancel');
      resolve({ ok: false, aborted: true });
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const failed = (error: unknown) => ({ ok: false as const, aborted: false as const, error });
  const attempt = call(ctx).then(
    // papi resolves with a failed request's error when `instanceof Error` is false for it, as for
    // Node's socket errors under Jest (another realm): an unreachable agent would count as success.
    (value) => (isError(value) ? failed(value) : { ok: true as const, value }),
    failed,
  );
  try {
    const result = await Promise.race([attempt, aborted]);
    // An error caused by our own cancel is an abort, not a failure of the agent.
    if (!result.ok && !result.aborted && signal.aborted) return { ok: false, aborted: true };
    return result;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
