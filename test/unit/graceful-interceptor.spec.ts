import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Observable, Subject, from, isObservable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { GracefulInterceptor } from '../../src/drain/graceful.interceptor';
import { asTransportUnit } from '../../src/drain/handler-call';
import { closeWebSocket } from '../../src/drain/websocket-close';
import { WorkTracker } from '../../src/drain/work-tracker.service';

class OrdersController {
  create(): void {}
}

/** Just what the interceptor reads of an ExecutionContext. */
const contextOf = (
  type: string,
  handler: (...args: unknown[]) => unknown = OrdersController.prototype.create,
  client: object = {},
): ExecutionContext =>
  ({
    getType: () => type,
    getClass: () => OrdersController,
    getHandler: () => handler,
    switchToWs: () => ({ getClient: () => client }),
  }) as unknown as ExecutionContext;

const handlerOf = (source: Observable<unknown>): CallHandler => ({ handle: () => source });

/**
 * As Nest calls a handler behind its interceptors (InterceptorsConsumer.transformDeferred):
 * `callback.apply()` a microtask later, then the Observable of its result, subscribed only
 * if the subscriber is still there when its Promise settled.
 */
function nestCall(handler: (...args: unknown[]) => unknown): CallHandler {
  return {
    handle: () =>
      new Observable((subscriber) => {
        let inner: { unsubscribe(): void } | undefined;
        const result = Promise.resolve().then(() => handler.apply(new OrdersController(), []));
        result.then(
          (res) => {
            if (!subscriber.closed) inner = from(isObservable(res) ? res : Promise.resolve(res)).subscribe(subscriber);
          },
          (error: unknown) => subscriber.closed || subscriber.error(error),
        );
        return () => inner?.unsubscribe();
      }),
  };
}

/** A Promise and its resolve function. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup() {
  const ledger = new DrainLedger();
  const work = new WorkTracker(ledger);
  return { ledger, work, interceptor: new GracefulInterceptor(work) };
}

function record(observable: Observable<unknown>) {
  const seen = { values: [] as unknown[], completed: false, error: undefined as unknown };
  const subscription = observable.subscribe({
    next: (v) => seen.values.push(v),
    complete: () => (seen.completed = true),
    error: (e: unknown) => (seen.error = e),
  });
  return { seen, subscription };
}

describe('GracefulInterceptor', () => {
  it('passes http through untouched, without tracking', () => {
    const { work, interceptor } = setup();
    const source = new Subject<unknown>();
    const result = interceptor.intercept(contextOf('http'), handlerOf(source));
    expect(result).toBe(source);
    const { seen } = record(result);
    expect(work.size).toBe(0);
    source.next('body');
    source.complete();
    expect(seen).toEqual({ values: ['body'], completed: true, error: undefined });
    expect(work.size).toBe(0);
  });

  it.each(['rpc', 'ws'] as const)(
    'tracks a %s handler as that kind, named Class.handler, until it completes',
    (type) => {
      const { work, interceptor } = setup();
      const source = new Subject<unknown>();
      const { seen } = record(interceptor.intercept(contextOf(type), handlerOf(source)));
      expect(work.size).toBe(1);
      expect(work.pending()).toEqual([{ kind: type, name: 'OrdersController.create', ageMs: expect.any(Number) }]);
      source.next({ ok: true });
      expect(work.size).toBe(1);
      source.complete();
      expect(work.size).toBe(0);
      expect(seen).toEqual({ values: [{ ok: true }], completed: true, error: undefined });
    },
  );

  it('passes an rpc handler through untracked inside a unit its transport tracks (Kafka message, gRPC call)', () => {
    const { work, interceptor } = setup();
    const source = new Subject<unknown>();
    const result = asTransportUnit(() => interceptor.intercept(contextOf('rpc'), handlerOf(source)));
    expect(result).toBe(source);
    expect(work.size).toBe(0);
    // Outside such a unit the same handler is tracked: the marker is what made the difference.
    record(interceptor.intercept(contextOf('rpc'), handlerOf(source)));
    expect(work.size).toBe(1);
  });

  it('applied twice to one handler (a gateway and its subclass both decorated), the call counts once', () => {
    const { work, interceptor } = setup();
    const source = new Subject<unknown>();
    const inner: CallHandler = { handle: () => interceptor.intercept(contextOf('ws'), handlerOf(source)) };
    const { seen } = record(interceptor.intercept(contextOf('ws'), inner));
    expect(work.size).toBe(1);
    source.next('ack');
    source.complete();
    expect(work.size).toBe(0);
    expect(seen).toEqual({ values: ['ack'], completed: true, error: undefined });
  });

  it('tracks other context types as streams', () => {
    const { work, interceptor } = setup();
    record(interceptor.intercept(contextOf('graphql'), handlerOf(new Subject())));
    expect(work.pending()).toEqual([{ kind: 'stream', name: 'OrdersController.create', ageMs: expect.any(Number) }]);
  });

  it('ends the unit when the handler errors, passing the error on', () => {
    const { work, interceptor } = setup();
    const source = new Subject<unknown>();
    const { seen } = record(interceptor.intercept(contextOf('rpc'), handlerOf(source)));
    expect(work.size).toBe(1);
    const boom = new Error('handler failed');
    source.error(boom);
    expect(work.size).toBe(0);
    expect(seen.error).toBe(boom);
  });

  it("keeps a Promise handler's unit when its client leaves, until the Promise settles", async () => {
    const { work, ledger, interceptor } = setup();
    const query = deferred<string>();
    const handler = () => query.promise;
    const { seen, subscription } = record(interceptor.intercept(contextOf('ws', handler), nestCall(handler)));
    await settle();
    ledger.countFromNow();
    subscription.unsubscribe();
    expect(work.size).toBe(1);
    query.resolve('row');
    await settle();
    expect(work.size).toBe(0);
    expect(ledger.drained).toBe(1);
    // Nobody to tell: the client left.
    expect(seen.values).toEqual([]);
  });

  it('unsubscribes a stream when its client leaves, ending its unit: its work is the subscription', async () => {
    const { work, interceptor } = setup();
    const stream = new Subject<number>();
    const handler = () => stream;
    const { seen, subscription } = record(interceptor.intercept(contextOf('ws', handler), nestCall(handler)));
    await settle();
    expect(stream.observed).toBe(true);
    stream.next(1);
    subscription.unsubscribe();
    expect(stream.observed).toBe(false);
    expect(work.size).toBe(0);
    expect(seen.values).toEqual([1]);
  });

  it(
    'ends the unit of a Promise that resolves to a stream ' + 'after its client left, never starting the stream',
    async () => {
      const { work, interceptor } = setup();
      const stream = new Subject<number>();
      const lookup = deferred<Observable<number>>();
      const handler = () => lookup.promise;
      const { subscription } = record(interceptor.intercept(contextOf('ws', handler), nestCall(handler)));
      await settle();
      subscription.unsubscribe();
      expect(work.size).toBe(1);
      lookup.resolve(stream);
      await settle();
      expect(work.size).toBe(0);
      expect(stream.observed).toBe(false);
    },
  );

  it('ends the unit of a value or a finite stream with its result', async () => {
    const { work, interceptor } = setup();
    const value = () => 'done';
    const finite = () => of(1, 2);
    const a = record(interceptor.intercept(contextOf('ws', value), nestCall(value)));
    const b = record(interceptor.intercept(contextOf('rpc', finite), nestCall(finite)));
    expect(work.size).toBe(2);
    await settle();
    expect(work.size).toBe(0);
    expect([a.seen, b.seen]).toEqual([
      { values: ['done'], completed: true, error: undefined },
      { values: [1, 2], completed: true, error: undefined },
    ]);
  });

  it('releases, when its client leaves, a result it did not see returned once it emitted, as it does a stream', () => {
    const { work, interceptor } = setup();
    const source = new Subject<unknown>();
    const { subscription } = record(interceptor.intercept(contextOf('ws'), handlerOf(source)));
    source.next('tick');
    subscription.unsubscribe();
    expect(work.size).toBe(0);
    expect(source.observed).toBe(false);
  });

  it('refuses a message from a ws client whose close began, before its handler runs and without a unit', async () => {
    const { work, ledger, interceptor } = setup();
    const told = { readyState: 1, close: () => undefined };
    const closing = { readyState: 2 };
    closeWebSocket(told, 1001, 'going away', () => undefined);
    ledger.countFromNow();
    let runs = 0;
    const handler = () => ++runs;
    for (const client of [told, closing]) {
      const { seen } = record(interceptor.intercept(contextOf('ws', handler, client), nestCall(handler)));
      expect(seen).toEqual({ values: [], completed: true, error: undefined });
    }
    await settle();
    expect([runs, work.size, ledger.drained]).toEqual([0, 0, 0]);
    const open = record(interceptor.intercept(contextOf('ws', handler, { readyState: 1 }), nestCall(handler)));
    await settle();
    expect(open.seen.values).toEqual([1]);
  });

  it('completes a multi-value stream when the abort signal fires, not when draining fires', () => {
    const { work, ledger, interceptor } = setup();
    const source = new Subject<number>();
    const { seen } = record(interceptor.intercept(contextOf('rpc'), handlerOf(source)));
    source.next(1);
    source.next(2);

    ledger.notify('draining', 'SIGTERM');
    ledger.countFromNow();
    source.next(3);
    expect(seen.completed).toBe(false);
    expect(work.size).toBe(1);

    ledger.notify('abort', 'stopTimeout passed');
    expect(seen.completed).toBe(true);
    expect(work.size).toBe(0);
    expect(source.observed).toBe(false);
    source.next(4);
    expect(seen.values).toEqual([1, 2, 3]);
    // Cut short, not finished: the report must not count it as drained.
    expect(ledger.drained).toBe(0);
    expect(ledger.aborted).toEqual([expect.objectContaining({ kind: 'rpc' })]);
  });

  it('completes at once a stream begun after the abort signal fired, so its unit cannot outlive the deadline', () => {
    const { work, ledger, interceptor } = setup();
    ledger.notify('abort', 'stopTimeout passed');
    const source = new Subject<number>();
    const { seen } = record(interceptor.intercept(contextOf('rpc'), handlerOf(source)));
    expect(seen.completed).toBe(true);
    expect(work.size).toBe(0);
    expect(source.observed).toBe(false);
    expect(ledger.aborted).toHaveLength(1);
  });

  it('tracks concurrent handlers separately', () => {
    const { work, interceptor } = setup();
    const a = new Subject<unknown>();
    const b = new Subject<unknown>();
    record(interceptor.intercept(contextOf('rpc'), handlerOf(a)));
    record(interceptor.intercept(contextOf('ws'), handlerOf(b)));
    expect(work.size).toBe(2);
    a.complete();
    expect(work.pending().map((u) => u.kind)).toEqual(['ws']);
    b.complete();
    expect(work.size).toBe(0);
  });
});
