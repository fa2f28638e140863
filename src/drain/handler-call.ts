import { AsyncLocalStorage } from 'node:async_hooks';
import { isObservable } from 'rxjs';

type Handler = (...args: unknown[]) => unknown;

/** Marks work a drain participant tracks at its transport (a Kafka message, a gRPC call): {@link asTransportUnit}. */
const TRANSPORT_UNIT = Symbol('transport unit');

/**
 * The call whose handler runs in the current async context (see {@link HandlerCall.run}), or a
 * transport's unit. One store for both: every async resource the process creates copies each
 * store that is in use.
 */
const calls = new AsyncLocalStorage<HandlerCall | typeof TRANSPORT_UNIT>();

/**
 * @internal Runs `body`, and every handler it leads to, as part of a unit a drain participant
 * already tracks (a Kafka message, a gRPC call), so that GracefulInterceptor does not count it twice.
 */
export function asTransportUnit<T>(body: () => T): T {
  return calls.run(TRANSPORT_UNIT, body);
}

/** Handlers whose `apply` reports their result to the call running them. */
const watched = new WeakSet<Handler>();

/**
 * Makes `handler` tell the call running it what it returned. Nest calls a gateway or message
 * handler as `callback.apply(instance, args)` (Nest 11 and 12, with or without pipes), after
 * the interceptors, so an own `apply` property is the one place its raw result is seen:
 * Nest's `CallHandler` only gives the Observable made from it.
 */
function watch(handler: Handler): void {
  if (watched.has(handler)) return;
  watched.add(handler);
  Object.defineProperty(handler, 'apply', {
    configurable: true,
    writable: true,
    value: (thisArg: unknown, args?: ArrayLike<unknown>): unknown => {
      const result = Reflect.apply(handler, thisArg, args ?? []);
      const call = calls.getStore();
      if (call !== TRANSPORT_UNIT && call?.handler === handler) call.returned(result);
      return result;
    },
  });
}

/**
 * @internal One call of a handler, from its interceptor, and whether its work is a stream. The
 * drain's rule: a value's work ends as it is returned, a Promise's when it settles (even if
 * the client left meanwhile: the handler still runs), an Observable's (returned, or resolved
 * by the Promise) when it completes, errors or is unsubscribed, which a client that leaves
 * does. So only a stream may be cut when its client leaves.
 */
export class HandlerCall {
  private seen = false;
  private stream = false;
  private onStream?: () => void;

  constructor(readonly handler: Handler) {
    watch(handler);
  }

  /**
   * Whether a call of `handler` is already tracked in the current async context: by its
   * transport's participant, or by an outer interceptor (applied twice: a gateway and its subclass).
   */
  static tracked(handler: Handler): boolean {
    const call = calls.getStore();
    return call === TRANSPORT_UNIT || call?.handler === handler;
  }

  /** Runs `body`, and the handler call it leads to, in this call's async context. */
  run<T>(body: () => T): T {
    return calls.run(this, body);
  }

  /** What the handler returned: an Observable, or a Promise that may resolve to one. */
  returned(result: unknown): void {
    this.seen = true;
    if (isObservable(result)) return this.isStream();
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => isObservable(value) && this.isStream(),
        () => undefined,
      );
    }
  }

  /**
   * The handler's result emitted a value: a stream if it was never seen returning, so that an
   * unseen result (Nest no longer calling `apply`) is released like a stream when its client
   * leaves, as it was before results were seen.
   */
  emitted(): void {
    if (!this.seen) this.isStream();
  }

  /** Runs `release` once the work is known to be a stream: at once, or when the handler's Promise resolves to one. */
  whenStream(release: () => void): void {
    if (this.stream) release();
    else this.onStream = release;
  }

  /** The work ended: nothing waits any more. */
  ended(): void {
    this.onStream = undefined;
  }

  private isStream(): void {
    this.stream = true;
    const release = this.onStream;
    this.onStream = undefined;
    release?.();
  }
}
