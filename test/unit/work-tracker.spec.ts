import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { WorkTracker } from '../../src/drain/work-tracker.service';

/** Resolves once the microtasks queued so far ran. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('WorkTracker', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('begin() counts a unit until done(); done() again does nothing', () => {
    const work = new WorkTracker(new DrainLedger());
    const a = work.begin('job-a');
    const b = work.begin('job-b');
    expect(work.size).toBe(2);
    a.done();
    a.done();
    expect(work.size).toBe(1);
    b.done();
    expect(work.size).toBe(0);
    b.done();
    expect(work.size).toBe(0);
  });

  it('begin() and track() after the drain ended throw, say what to do instead, and list the work as aborted', () => {
    const ledger = new DrainLedger();
    const work = new WorkTracker(ledger);
    ledger.seal();
    expect(() => work.begin('late-job')).toThrow(
      /work "late-job" begun after the drain ended was refused: nothing waits for it now.*await the work/,
    );
    const job = Promise.resolve('row');
    expect(() => work.track(job, 'late-track')).toThrow(/work "late-track" begun after the drain ended was refused/);
    expect(work.size).toBe(0);
    expect(ledger.aborted).toEqual([
      { kind: 'background', name: 'late-job', ageMs: 0 },
      { kind: 'background', name: 'late-track', ageMs: 0 },
    ]);
  });

  it('two begin() with the same name are two units', () => {
    const work = new WorkTracker(new DrainLedger());
    const first = work.begin('same');
    work.begin('same');
    first.done();
    expect(work.size).toBe(1);
  });

  it('track() ends the unit when the promise resolves and returns the same promise', async () => {
    const work = new WorkTracker(new DrainLedger());
    const job = deferred<number>();
    const tracked = work.track(job.promise, 'import');
    expect(tracked).toBe(job.promise);
    expect(work.size).toBe(1);
    expect(work.pending()).toEqual([{ kind: 'background', name: 'import', ageMs: expect.any(Number) }]);
    job.resolve(7);
    expect(await tracked).toBe(7);
    await tick();
    expect(work.size).toBe(0);
  });

  it('track() ends the unit when the promise rejects, without an unhandled rejection of its own', async () => {
    const work = new WorkTracker(new DrainLedger());
    const job = deferred();
    const tracked = work.track(job.promise);
    const caught = Promise.resolve(tracked).catch((error: unknown) => error);
    job.reject(new Error('failed job'));
    expect(await caught).toEqual(new Error('failed job'));
    await tick();
    expect(work.size).toBe(0);
  });

  it('its units are in the ledger, which waits for the last one', async () => {
    const ledger = new DrainLedger();
    const work = new WorkTracker(ledger);
    const a = work.begin();
    const b = work.begin();
    let idle = false;
    void ledger.whenIdle().then(() => (idle = true));
    a.done();
    await tick();
    expect(idle).toBe(false);
    b.done();
    await tick();
    await tick();
    expect(idle).toBe(true);
  });

  it('pending() lists kind, name and age of each unit still running', () => {
    // WorkTracker reads the clock through node:perf_hooks, which vitest's fake timers do not replace.
    let now = 10_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const work = new WorkTracker(new DrainLedger());
    const job = work.begin('nightly-report');
    now += 1_200;
    work.begin('OrdersController.create', 'rpc');
    now += 300.4;
    expect(work.pending()).toEqual([
      { kind: 'background', name: 'nightly-report', ageMs: 1_500 },
      { kind: 'rpc', name: 'OrdersController.create', ageMs: 300 },
    ]);
    job.done();
    expect(work.pending()).toEqual([{ kind: 'rpc', name: 'OrdersController.create', ageMs: 300 }]);
  });

  it('begin() defaults to a background unit named "background"', () => {
    const work = new WorkTracker(new DrainLedger());
    work.begin();
    expect(work.pending()).toEqual([{ kind: 'background', name: 'background', ageMs: expect.any(Number) }]);
  });

  it('each handle has its own draining and abort signals, fired by the ledger, made only when read', () => {
    const ledger = new DrainLedger();
    const work = new WorkTracker(ledger);
    const first = work.begin('stream');
    const second = work.begin('poller');
    const ended = work.begin('ended');
    const endedDraining = ended.draining;
    ended.done();
    expect(first.draining).not.toBe(second.draining);
    expect(first.draining).toBe(first.draining);
    expect(first.draining.aborted).toBe(false);
    expect(first.abort.aborted).toBe(false);

    ledger.notify('draining', 'SIGTERM');
    expect(first.draining.aborted).toBe(true);
    expect(first.draining.reason).toBe('SIGTERM');
    expect(second.draining.aborted).toBe(true);
    expect(first.abort.aborted).toBe(false);
    // A unit that ended before the stop is not told.
    expect(endedDraining.aborted).toBe(false);

    ledger.notify('abort', 'stopTimeout passed');
    expect(first.abort.aborted).toBe(true);
    expect(first.abort.reason).toBe('stopTimeout passed');
    // A unit begun after the stop sees both already fired, with their reasons.
    const late = work.begin();
    expect(late.draining.reason).toBe('SIGTERM');
    expect(late.abort.reason).toBe('stopTimeout passed');
  });

  it('done may be passed around unbound', async () => {
    const work = new WorkTracker(new DrainLedger());
    const { done } = work.begin();
    await Promise.resolve().then(done);
    expect(work.size).toBe(0);
  });
});
