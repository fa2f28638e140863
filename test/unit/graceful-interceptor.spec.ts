import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { GracefulInterceptor } from '../../src/drain/graceful.interceptor';
import { WorkTracker } from '../../src/drain/work-tracker.service';

class OrdersController {
  create(): void {}
}

/** Just what the interceptor reads of an ExecutionContext. */
const contextOf = (type: string): ExecutionContext =>
  ({
    getType: () => type,
    getClass: () => OrdersController,
    getHandler: () => OrdersController.prototype.create,
    switchToWs: () => ({ getClient: () => ({}) }),
  }) as unknown as ExecutionContext;

const handlerOf = (source: Observable<unknown>): CallHandler => ({ handle: () => source });

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

  it.each(['rpc', 'ws'] as const)('tracks a %s handler as that kind, named Class.handler, until it completes', (type) => {
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

  it('ends the unit when the subscriber unsubscribes', () => {
    const { work, interceptor } = setup();
    const source = new Subject<unknown>();
    const { subscription } = record(interceptor.intercept(contextOf('ws'), handlerOf(source)));
    expect(work.size).toBe(1);
    subscription.unsubscribe();
    expect(work.size).toBe(0);
    expect(source.observed).toBe(false);
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
