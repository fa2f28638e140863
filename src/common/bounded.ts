export type BoundedResult<T> =
  { ok: true; value: T; ms: number } | { ok: false; timedOut: boolean; error: unknown; ms: number };

export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`did not finish within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs `work` for at most `ms`. The work gets a signal that fires on the deadline or when
 * `cancel` fires, so it can stop its own I/O; either way the result is settled at once,
 * whether or not the work honours its signal. The result never rejects.
 */
export async function bounded<T>(
  ms: number,
  work: (signal: AbortSignal) => T | PromiseLike<T>,
  cancel?: AbortSignal,
): Promise<BoundedResult<T>> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onCancel = (): void => undefined;
  const deadline = new Promise<never>((_, reject) => {
    onCancel = () => {
      controller.abort(cancel?.reason);
      reject(cancel?.reason);
    };
    timer = setTimeout(() => {
      const error = new TimeoutError(ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  cancel?.addEventListener('abort', onCancel, { once: true });
  try {
    if (cancel?.aborted) controller.abort(cancel.reason);
    const value = await Promise.race([Promise.resolve().then(() => work(controller.signal)), deadline]);
    return { ok: true, value, ms: elapsed() };
  } catch (error) {
    return { ok: false, timedOut: error instanceof TimeoutError, error, ms: elapsed() };
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  }
}

/** Waits `ms`, or less if `signal` fires first. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));
