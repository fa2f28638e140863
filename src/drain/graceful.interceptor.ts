import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { EMPTY, Observable, finalize, takeUntil } from 'rxjs';
import { HandlerCall } from './handler-call.js';
import { beginWebSocketHandler, refusesMessages } from './websocket-close.js';
import { WorkTracker } from './work-tracker.service.js';
import type { WorkKind } from './work-unit.interface.js';

/**
 * Tracks what only an interceptor sees — microservice (RPC) and WebSocket handlers and
 * the Observables they return — so the drain waits for them. HTTP requests pass straight
 * through: they are tracked at the server, where it is cheaper and 404s count too; so do Kafka
 * messages and gRPC calls, which their transport's drain participant tracks (each counts once).
 * Apply it to gateways and message controllers with `@UseInterceptors(GracefulInterceptor)`
 * rather than globally, so HTTP routes do not pay for an interceptor chain.
 *
 * A unit ends when the handler's work ends, not when its client leaves: a value's as it is
 * returned, a Promise's when it settles, an Observable's when it completes, errors or is
 * unsubscribed (a client that leaves unsubscribes it). A message from a `ws` client whose
 * close began is refused before its handler runs (docs/drain.md, "WebSockets").
 */
@Injectable()
export class GracefulInterceptor implements NestInterceptor {
  constructor(private readonly work: WorkTracker) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = context.getType<string>();
    // HTTP is tracked at the server; a Kafka message or gRPC call by its transport's participant; a handler this
    // interceptor is applied to twice (a gateway and its subclass both decorated: Nest appends) by the outer one.
    if (type === 'http' || HandlerCall.tracked(context.getHandler() as (...args: unknown[]) => unknown)) {
      return next.handle();
    }
    const client = type === 'ws' ? context.switchToWs().getClient<object>() : undefined;
    // Its reply could not be sent: never run, never counted.
    if (client && refusesMessages(client)) return EMPTY;
    const kind: WorkKind = type === 'rpc' || type === 'ws' ? type : 'stream';
    const handle = this.work.begin(`${context.getClass().name}.${context.getHandler().name}`, kind);
    const endWs = client ? beginWebSocketHandler(client) : undefined;
    const call = new HandlerCall(context.getHandler() as (...args: unknown[]) => unknown);
    // A stream still open at the drain deadline is completed so its unit ends, and reported
    // as aborted (cut short); one begun after it is completed at once. The call's own abort
    // signal: one listener on it.
    let cutShort = false;
    const work = call.run(() =>
      next.handle().pipe(
        takeUntil(whenAborted(handle.abort, () => (cutShort = true))),
        finalize(() => {
          call.ended();
          // The reply is already sent (Nest sends on next, before completion); the 1001 close may follow it.
          // Before the unit ends: the close frame is then on its way before the drain can end.
          endWs?.();
          if (cutShort) handle.abandon();
          else handle.done();
        }),
      ),
    );
    return new Observable<unknown>((subscriber) => {
      // Not chained to `subscriber`: the adapter unsubscribes when the client leaves (Nest's
      // WsAdapter and IoAdapter do), and a handler's Promise runs on regardless (measured
      // before: 10 of 10 such handlers outlived their unit and met a closed pool).
      const subscription = call.run(() =>
        work.subscribe({
          next: (value) => {
            call.emitted();
            subscriber.next(value);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
      return () => call.whenStream(() => subscription.unsubscribe());
    });
  }
}

/** Emits once `signal` fires (calling `fired` first), at once if it already has (fromEvent would wait forever). */
function whenAborted(signal: AbortSignal, fired: () => void): Observable<void> {
  return new Observable<void>((subscriber) => {
    const fire = () => {
      fired();
      subscriber.next();
    };
    if (signal.aborted) return fire();
    signal.addEventListener('abort', fire, { once: true });
    return () => signal.removeEventListener('abort', fire);
  });
}
