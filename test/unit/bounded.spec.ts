import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bounded, describeError, sleep, TimeoutError } from '../../src/common/bounded';

/** A work that never settles on its own and rejects with the signal's reason when it fires. */
function hanging(seen: { signal?: AbortSignal }) {
  return (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      seen.signal = signal;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
}

describe('bounded()', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns ok with the value of a sync or async work, and its duration', async () => {
    expect(await bounded(1_000, () => 42)).toEqual({ ok: true, value: 42, ms: 0 });

    const result = bounded(1_000, () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 250)));
    await vi.advanceTimersByTimeAsync(250);
    expect(await result).toEqual({ ok: true, value: 'done', ms: 250 });
  });

  it('gives the work a signal that is not aborted while it runs in time', async () => {
    let signal: AbortSignal | undefined;
    await bounded(1_000, (s) => {
      signal = s;
      return 'x';
    });
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal!.aborted).toBe(false);
  });

  it('on timeout resolves ok:false timedOut:true with a TimeoutError and aborts the work', async () => {
    const seen: { signal?: AbortSignal } = {};
    let settled = false;
    const result = bounded(100, hanging(seen)).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    expect(seen.signal!.aborted).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    const r = await result;
    expect(r.ok).toBe(false);
    if (r.ok) throw new Error('unreachable');
    expect(r.timedOut).toBe(true);
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect(describeError(r.error)).toBe('did not finish within 100 ms');
    expect(r.ms).toBe(100);
    expect(seen.signal!.aborted).toBe(true);
    expect(seen.signal!.reason).toBeInstanceOf(TimeoutError);
  });

  it('times out a work that ignores its signal too', async () => {
    const result = bounded(50, () => new Promise(() => undefined));
    await vi.advanceTimersByTimeAsync(50);
    expect(await result).toMatchObject({ ok: false, timedOut: true });
  });

  it('aborts the work when the cancel signal fires, with its reason', async () => {
    const seen: { signal?: AbortSignal } = {};
    const cancel = new AbortController();
    const result = bounded(10_000, hanging(seen), cancel.signal);
    await vi.advanceTimersByTimeAsync(10);
    expect(seen.signal!.aborted).toBe(false);

    cancel.abort('stop asked');
    expect(seen.signal!.aborted).toBe(true);
    expect(seen.signal!.reason).toBe('stop asked');
    expect(await result).toEqual({ ok: false, timedOut: false, error: 'stop asked', ms: 10 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('hands an already aborted signal to the work when cancel fired before', async () => {
    const cancel = new AbortController();
    cancel.abort('too late');
    let aborted: boolean | undefined;
    const r = await bounded(
      1_000,
      (signal) => {
        aborted = signal.aborted;
        return 1;
      },
      cancel.signal,
    );
    expect(aborted).toBe(true);
    expect(r.ok).toBe(true);
  });

  it('a throwing work resolves ok:false timedOut:false with the error', async () => {
    const boom = new Error('boom');
    expect(
      await bounded(1_000, () => {
        throw boom;
      }),
    ).toEqual({ ok: false, timedOut: false, error: boom, ms: 0 });
    expect(await bounded(1_000, () => Promise.reject(boom))).toMatchObject({ ok: false, timedOut: false, error: boom });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer and its cancel listener once done', async () => {
    const cancel = new AbortController();
    const remove = vi.spyOn(cancel.signal, 'removeEventListener');
    await bounded(1_000, () => 'ok', cancel.signal);
    expect(vi.getTimerCount()).toBe(0);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});

describe('sleep()', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after ms, not before', async () => {
    let done = false;
    void sleep(1_000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it('resolves early when the signal fires, and clears its timer', async () => {
    const controller = new AbortController();
    let done = false;
    void sleep(60_000, controller.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves at once for an aborted signal or a non-positive ms', async () => {
    const controller = new AbortController();
    controller.abort();
    await sleep(60_000, controller.signal);
    await sleep(0);
    await sleep(-5);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('describeError()', () => {
  it('uses the message of an Error and String() of anything else', () => {
    expect(describeError(new Error('nope'))).toBe('nope');
    expect(describeError('plain')).toBe('plain');
    expect(describeError(42)).toBe('42');
  });
});
