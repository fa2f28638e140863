import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, finalize, takeUntil } from 'rxjs';
import { beginWebSocketHandler } from './websocket-close.js';
import { WorkTracker } from './work-tracker.service.js';
import type { WorkKind } from './work-unit.interface.js';

/**
 * Tracks what only an interceptor sees — microservice (RPC) and WebSocket handlers and
 * the Observables they return — so the drain waits for them. HTTP requests pass straight
 * through: they are tracked at the server, where it is cheaper and 404s count too.
 * Apply it to gateways and message controllers with `@UseInterceptors(GracefulInterceptor)`
 * rather than globally, so HTTP routes do not pay for an interceptor chain.
 */
@Injectable()
export class GracefulInterceptor implements NestInterceptor {
  constructor(private readonly work: WorkTracker) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = context.getType<string>();
    if (type === 'http') return next.handle();
    const kind: WorkKind = type === 'rpc' || type === 'ws' ? type : 'stream';
    const handle = this.work.begin(`${context.getClass().name}.${context.getHandler().name}`, kind);
    const endWs = type === 'ws' ? beginWebSocketHandler(context.switchToWs().getClient<object>()) : undefined;
    // A stream still open at the drain deadline is completed so its unit ends, and reported
    // as aborted (cut short); one begun after it is completed at once. The call's own abort
    // signal: one listener on it.
    let cutShort = false;
    return next.handle().pipe(
      takeUntil(whenAborted(handle.abort, () => (cutShort = true))),
      finalize(() => {
        // The reply is already sent (Nest sends on next, before completion); the 1001 close may follow it.
        // Before the unit ends: the close frame is then on its way before the drain can end.
        endWs?.();
        if (cutShort) handle.abandon();
        else handle.done();
      }),
    );
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
