import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InFlight } from '../../src/drain/in-flight';
import { WorkTracker } from '../../src/drain/work-tracker';
import { StopSignals } from '../../src/lifecycle/stop-signals';

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
    const work = new WorkTracker(new StopSignals());
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

  it('two begin() with the same name are two units', () => {
    const work = new WorkTracker(new StopSignals());
    const first = work.begin('same');
    work.begin('same');
    first.done();
    expect(work.size).toBe(1);
  });

  it('track() ends the unit when the promise resolves and returns the same promise', async () => {
    const work = new WorkTracker(new StopSignals());
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
    const work = new WorkTracker(new StopSignals());
    const job = deferred();
    const tracked = work.track(job.promise);
    const caught = Promise.resolve(tracked).catch((error: unknown) => error);
    job.reject(new Error('failed job'));
    expect(await caught).toEqual(new Error('failed job'));
    await tick();
    expect(work.size).toBe(0);
  });

  it('whenIdle() resolves at once when idle, else when the last unit ends', async () => {
    const work = new WorkTracker(new StopSignals());
    await work.whenIdle();

    const a = work.begin();
    const b = work.begin();
    let idle = false;
    void work.whenIdle().then(() => (idle = true));
    a.done();
    await tick();
    expect(idle).toBe(false);
    b.done();
    await tick();
    expect(idle).toBe(true);
  });

  it('pending() lists kind, name and age of each unit still running', () => {
    // WorkTracker reads the clock through node:perf_hooks, which vitest's fake timers do not replace.
    let now = 10_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const work = new WorkTracker(new StopSignals());
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
    const work = new WorkTracker(new StopSignals());
    work.begin();
    expect(work.pending()).toEqual([{ kind: 'background', name: 'background', ageMs: expect.any(Number) }]);
  });

  it('handles expose the draining and abort signals, which fire with the stop signals', () => {
    const signals = new StopSignals();
    const work = new WorkTracker(signals);
    const handle = work.begin('stream');
    expect(handle.draining.aborted).toBe(false);
    expect(handle.abort.aborted).toBe(false);

    signals.fireDraining('SIGTERM');
    expect(handle.draining.aborted).toBe(true);
    expect(handle.draining.reason).toBe('SIGTERM');
    expect(handle.abort.aborted).toBe(false);

    signals.fireAbort('stopTimeout passed');
    expect(handle.abort.aborted).toBe(true);
    expect(handle.abort.reason).toBe('stopTimeout passed');
    // a unit begun after the stop sees the signals already fired
    expect(work.begin().draining.aborted).toBe(true);
  });
});

describe('InFlight', () => {
  it('wakes every waiter once, only when the set becomes empty', async () => {
    const set = new InFlight<string>();
    set.add('a');
    const woken: number[] = [];
    void set.whenEmpty().then(() => woken.push(1));
    void set.whenEmpty().then(() => woken.push(2));
    set.delete('missing');
    set.add('b');
    set.delete('a');
    await tick();
    expect(woken).toEqual([]);
    set.delete('b');
    await tick();
    expect(woken).toEqual([1, 2]);
    expect([...set.values()]).toEqual([]);
  });
});
