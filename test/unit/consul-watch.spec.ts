import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsulDiscoveryError } from '../../src/registry/consul/consul-errors';
import { ConsulWatch, type HealthAnswer } from '../../src/registry/consul/consul-watch';
import type { ServiceInstance } from '../../src/registry/service-instance.interface';

const instance = (id: string): ServiceInstance => ({
  id,
  name: 'orders',
  version: '1',
  metadata: {},
  endpoints: [`http://10.0.0.1:${id}`],
});

/** A query the test answers by hand: each call waits for `answer()` or `fail()`. */
function scriptedQuery() {
  const calls: number[] = [];
  const pending: { resolve(a: HealthAnswer): void; reject(e: unknown): void }[] = [];
  const query = (index: number, signal: AbortSignal) =>
    new Promise<HealthAnswer>((resolve, reject) => {
      calls.push(index);
      pending.push({ resolve, reject });
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  const settle = async (f: (p: (typeof pending)[number]) => void) => {
    await vi.waitFor(() => expect(pending.length).toBeGreaterThan(0));
    f(pending.shift()!);
  };
  return {
    calls,
    query,
    answer: (index: number, ...ids: string[]) => settle((p) => p.resolve({ index, instances: ids.map(instance) })),
    fail: (error: unknown) => settle((p) => p.reject(error)),
  };
}

const unreachable = () =>
  new ConsulDiscoveryError('the Consul agent at http://127.0.0.1:1 refused the connection (ECONNREFUSED)', 'orders', {
    code: 'ECONNREFUSED',
  });
const forbidden = () =>
  new ConsulDiscoveryError('Consul refused the watch (403 Forbidden)', 'orders', { statusCode: 403 });

const watches: ConsulWatch[] = [];

/** A watch over `script`, stopped after the test. */
function watchWith(script: ReturnType<typeof scriptedQuery>) {
  const logger = {
    warn: vi.fn<(m: string) => void>(),
    error: vi.fn<(m: string) => void>(),
    log: vi.fn<(m: string) => void>(),
  };
  const watch = new ConsulWatch('orders', script.query, {
    retryDelay: 100,
    retryMaxDelay: 400,
    logger,
    agent: 'http://127.0.0.1:1',
  });
  watches.push(watch);
  return { watch, logger };
}

describe('ConsulWatch', () => {
  afterEach(async () => {
    await Promise.all(watches.splice(0).map((w) => w.stop()));
    vi.useRealTimers();
  });

  it(
    'first answers at once (index 0), then parks on the ' + "answer's index; only a different list resolves next()",
    async () => {
      const script = scriptedQuery();
      const { watch } = watchWith(script);
      const first = watch.next();
      await script.answer(7, 'a', 'b');
      expect((await first).map((i) => i.id)).toEqual(['a', 'b']);

      let second: ServiceInstance[] | undefined;
      const pending = watch.next().then((list) => (second = list));
      await script.answer(9, 'b', 'a'); // the same set in another order: no change
      await script.answer(12, 'b');
      await pending;
      expect(second!.map((i) => i.id)).toEqual(['b']);
      expect(script.calls.slice(0, 4)).toEqual([0, 7, 9, 12]);
    },
  );

  it('never parks on an index below 1', async () => {
    const script = scriptedQuery();
    const { watch } = watchWith(script);
    const first = watch.next();
    await script.answer(0, 'a');
    await first;
    await vi.waitFor(() => expect(script.calls).toEqual([0, 1]));
  });

  it(
    'keeps the last list while the agent is unreachable, says it is stale, backs off 100, 200, 400, 400 ms, and ' +
      'starts again from index 0',
    async () => {
      vi.useFakeTimers();
      const script = scriptedQuery();
      const { watch, logger } = watchWith(script);
      const first = watch.next();
      await script.answer(40, 'a');
      await first;
      let next: ServiceInstance[] | 'rejected' | undefined;
      const pending = watch.next().then(
        (l) => (next = l),
        () => (next = 'rejected'),
      );

      for (const delay of [100, 200, 400, 400]) {
        await script.fail(unreachable());
        const queried = script.calls.length;
        await vi.advanceTimersByTimeAsync(delay - 1);
        expect(script.calls.length).toBe(queried);
        await vi.advanceTimersByTimeAsync(1);
        expect(script.calls.length).toBe(queried + 1);
      }
      expect(next).toBeUndefined();
      expect(watch.stale).toEqual(expect.any(Number));
      expect(logger.warn.mock.calls.at(-1)![0]).toMatch(
        /^the list of "orders" \(1 instances\) is stale for \d+ ms: .*:1 .*ECONNREFUSED.*; retrying in 400 ms$/,
      );
      expect(script.calls.slice(1)).toEqual([40, 0, 0, 0, 0]);

      await script.answer(3, 'a', 'c');
      await pending;
      expect((next as ServiceInstance[]).map((i) => i.id)).toEqual(['a', 'c']);
      expect(watch.stale).toBeUndefined();
      expect(logger.log).toHaveBeenCalledWith(
        expect.stringMatching(/^Consul answers the watch of "orders" again after \d+ ms$/),
      );
    },
  );

  it(
    'a refusal rejects next() loudly (error log) and the watch ' +
      'goes on: the next call resolves once Consul answers',
    async () => {
      vi.useFakeTimers();
      const script = scriptedQuery();
      const { watch, logger } = watchWith(script);
      const first = watch.next();
      await script.fail(forbidden());
      await expect(first).rejects.toThrow('Consul refused the watch (403 Forbidden)');
      expect(logger.error).toHaveBeenCalledWith(
        'the watch of "orders" was refused: Consul refused the watch (403 Forbidden); retrying in 100 ms',
      );

      const second = watch.next();
      await vi.advanceTimersByTimeAsync(100);
      await script.answer(5, 'a');
      expect((await second).map((i) => i.id)).toEqual(['a']);
    },
  );

  it('with no list yet, an unreachable agent rejects next() (nothing to keep) and is retried', async () => {
    vi.useFakeTimers();
    const script = scriptedQuery();
    const { watch, logger } = watchWith(script);
    const first = watch.next();
    await script.fail(unreachable());
    await expect(first).rejects.toThrow(/ECONNREFUSED/);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/^no list of "orders" yet \(attempt 1\): .*retrying in 100 ms$/),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(script.calls).toEqual([0, 0]);
  });

  it('stop() aborts the query in flight and rejects a pending next(), now and later', async () => {
    const script = scriptedQuery();
    const { watch } = watchWith(script);
    const pending = watch.next();
    await vi.waitFor(() => expect(script.calls).toEqual([0]));
    await watch.stop();
    await expect(pending).rejects.toThrow('the watch of "orders" was stopped');
    await expect(watch.next()).rejects.toThrow('the watch of "orders" was stopped');
  });

  it('next(signal) rejects when the signal fires, and the watch can still be read', async () => {
    const script = scriptedQuery();
    const { watch } = watchWith(script);
    const controller = new AbortController();
    const pending = watch.next(controller.signal);
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    const again = watch.next();
    await script.answer(2, 'a');
    expect((await again).map((i) => i.id)).toEqual(['a']);
  });
});
