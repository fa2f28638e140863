import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Dispatcher } from 'undici';
import { ServiceClient, type ServiceResponse } from '../../src/discovery/service-client';
import { ServiceRequestError } from '../../src/discovery/service-request.error';
import type { Discovery, Watcher } from '../../src/registry/discovery.interface';
import type { ServiceInstance } from '../../src/registry/service-instance.interface';

/** What the fake pool of one origin does with each request; `held` answers or refuses once the test says. */
type Behaviour = 'ok' | 'refuse' | 'reset' | 'hang' | 'held';

/** A Discovery whose watch gives the lists (or errors) the test pushes. */
class FakeDiscovery implements Discovery {
  private readonly queue: ({ list: ServiceInstance[] } | { error: unknown })[] = [];
  private wake?: () => void;
  stopped = false;
  async getService(): Promise<ServiceInstance[]> {
    return [];
  }
  watch(): Watcher {
    return {
      next: async (signal?: AbortSignal) => {
        while (this.queue.length === 0) {
          signal?.throwIfAborted();
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            signal?.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        const item = this.queue.shift()!;
        if ('error' in item) throw item.error;
        return item.list;
      },
      stop: async () => {
        this.stopped = true;
        this.wake?.();
      },
    };
  }
  push(...ids: string[]): void {
    this.pushList(ids.map(instance));
  }
  pushList(list: ServiceInstance[]): void {
    this.queue.push({ list });
    this.wake?.();
  }
  fail(error: unknown): void {
    this.queue.push({ error });
    this.wake?.();
  }
}

const port = (id: string) => 3000 + Number(id.replace(/\D/g, ''));
const instance = (id: string): ServiceInstance => ({
  id,
  name: 'orders',
  version: '1',
  metadata: {},
  endpoints: [`http://127.0.0.1:${port(id)}`],
});

/** Fake pools per origin: what each does, what each was asked, whether it was closed. */
function fakePools(behaviour: Record<string, Behaviour>) {
  const calls: string[] = [];
  const closed: string[] = [];
  const held: ((outcome?: 'ok' | 'refuse') => void)[] = [];
  const createPool = (origin: string): Dispatcher => {
    const id = `o${Number(new URL(origin).port) - 3000}`;
    return {
      request: (options: Dispatcher.RequestOptions) => {
        calls.push(`${options.method} ${id}`);
        const refused = () =>
          Promise.reject(Object.assign(new Error(`connect ECONNREFUSED ${origin}`), { code: 'ECONNREFUSED' }));
        const ok = () => Promise.resolve({ statusCode: 200, headers: {}, body: Readable.from([id]) });
        switch (behaviour[id] ?? 'ok') {
          case 'refuse':
            return refused();
          case 'reset':
            return Promise.reject(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
          case 'held':
            return new Promise((resolve) =>
              held.push((outcome = 'ok') => resolve(outcome === 'ok' ? ok() : refused())),
            );
          case 'hang':
            return new Promise((_, reject) =>
              (options.signal as AbortSignal).addEventListener('abort', () => reject(new Error('aborted'))),
            );
          default:
            return ok();
        }
      },
      close: async () => void closed.push(id),
      destroy: async () => void closed.push(id),
    } as unknown as Dispatcher;
  };
  return { calls, closed, held, createPool };
}

const quiet = { warn: vi.fn(), log: vi.fn() };
const clients: ServiceClient[] = [];
function client(discovery: Discovery, pools: ReturnType<typeof fakePools>, options = {}) {
  const c = new ServiceClient('orders', discovery, { balancer: 'round-robin', ...options }, quiet, pools.createPool);
  clients.push(c);
  return c;
}
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
};

describe('ServiceClient', () => {
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('sends a GET refused by one instance to another, and says which answered after how many attempts', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({ o1: 'refuse' });
    const orders = client(discovery, pools);
    discovery.push('o1', 'o2');
    const response = await orders.request({ path: '/orders/7' });
    expect(response.instance.id).toBe('o2');
    expect(response.attempts).toBe(2);
    expect(await text(response.body)).toBe('o2');
    expect(pools.calls).toEqual(['GET o1', 'GET o2']);
  });

  it('sends a refused POST to another instance too: nothing was written', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({ o1: 'refuse' });
    discovery.push('o1', 'o2');
    const response = await client(discovery, pools).request({ method: 'POST', path: '/orders', body: '{}' });
    expect(response.instance.id).toBe('o2');
  });

  it('does not repeat a POST reset before the response head, unless told it is idempotent', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({ o1: 'reset' });
    const orders = client(discovery, pools);
    discovery.push('o1', 'o2');
    const error = await orders.request({ method: 'POST', path: '/orders' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceRequestError);
    expect((error as ServiceRequestError).failure).toBe('failed');
    expect((error as Error).message).toBe(
      'POST /orders to service "orders" failed: not retried: a POST is not idempotent (idempotent: true allows it); ' +
        'tried o1 (http://127.0.0.1:3001): other side closed (UND_ERR_SOCKET)',
    );
    expect(pools.calls).toEqual(['POST o1']);

    const again = fakePools({ o1: 'reset' });
    const other = new FakeDiscovery();
    other.push('o1', 'o2');
    const retried = await client(other, again).request({ method: 'POST', path: '/orders', idempotent: true });
    expect(again.calls).toEqual(['POST o1', 'POST o2']);
    expect(retried.instance.id).toBe('o2');
  });

  it('repeats a GET reset before the response head on another instance', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({ o1: 'reset' });
    discovery.push('o1', 'o2');
    expect((await client(discovery, pools).request({ path: '/x' })).instance.id).toBe('o2');
  });

  it('when every instance failed, the error names the service and each instance tried with its cause', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({ o1: 'refuse', o2: 'reset' });
    discovery.push('o1', 'o2');
    const error = (await client(discovery, pools)
      .request({ path: '/orders/7' })
      .catch((e: unknown) => e)) as ServiceRequestError;
    expect(error.failure).toBe('no-instance');
    expect(error.attempts.map((a) => a.instanceId)).toEqual(['o1', 'o2']);
    expect(error.message).toBe(
      'GET /orders/7 to service "orders" failed: no other instance left to try; tried ' +
        'o1 (http://127.0.0.1:3001): connection refused (ECONNREFUSED); o2 (http://127.0.0.1:3002): other side ' +
        'closed (UND_ERR_SOCKET)',
    );
  });

  it('stops at maxAttempts', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({ o1: 'refuse', o2: 'refuse', o3: 'refuse' });
    discovery.push('o1', 'o2', 'o3');
    const error = (await client(discovery, pools, { maxAttempts: 2 })
      .request({ path: '/' })
      .catch((e: unknown) => e)) as ServiceRequestError;
    expect(error.message).toContain('failed: 2 attempts (maxAttempts)');
    expect(pools.calls).toHaveLength(2);
  });

  it(
    'never picks an instance again once it leaves the watch while another passes; with fallbackWindow: 0 closes its ' +
      'pool at once',
    async () => {
      const discovery = new FakeDiscovery();
      const pools = fakePools({});
      const orders = client(discovery, pools);
      discovery.push('o1', 'o2');
      await orders.request({ path: '/' });
      discovery.push('o2');
      await until(() => orders.instances.length === 1);
      for (let i = 0; i < 4; i++) expect((await orders.request({ path: '/' })).instance.id).toBe('o2');
      expect(pools.calls.filter((c) => c === 'GET o1').length).toBeLessThanOrEqual(1);

      const other = new FakeDiscovery();
      const now = fakePools({});
      const strict = client(other, now, { fallbackWindow: 0 });
      other.push('o1', 'o2');
      await until(() => strict.instances.length === 2);
      other.push('o2');
      await until(() => now.closed.length === 1);
      expect(now.closed).toEqual(['o1']);
    },
  );

  describe('fallbackWindow: the last instance restarts', () => {
    it(
      'while none passes, a request goes to the instance that ' + 'just left (it still serves its shutdownDelay)',
      async () => {
        const discovery = new FakeDiscovery();
        const pools = fakePools({});
        const orders = client(discovery, pools);
        discovery.push('o1');
        await until(() => orders.instances.length === 1);
        discovery.push();
        await until(() => orders.instances.length === 0);
        const response = await orders.request({ path: '/' });
        expect(response.instance.id).toBe('o1');
        expect(response.attempts).toBe(1);
        expect(quiet.log).toHaveBeenCalledWith(
          '"orders": 0 instances, removed o1 (http://127.0.0.1:3001); none passing: falling back to o1 for up to ' +
            '5000 ms (fallbackWindow)',
        );
      },
    );

    it(
      'once it refuses, requests wait for its successor and ' + 'go there; the refused one is not tried again',
      async () => {
        const discovery = new FakeDiscovery();
        const pools = fakePools({ o1: 'refuse' });
        const orders = client(discovery, pools);
        discovery.push('o1');
        await until(() => orders.instances.length === 1);
        discovery.push();
        await until(() => orders.instances.length === 0);
        const first = orders.request({ path: '/a' });
        await until(() => pools.calls.length === 1);
        const second = orders.request({ path: '/b' });
        discovery.push('o2');
        const [a, b] = await Promise.all([first, second]);
        expect([a.instance.id, a.attempts]).toEqual(['o2', 2]);
        expect([b.instance.id, b.attempts]).toEqual(['o2', 1]);
        expect(pools.calls).toEqual(['GET o1', 'GET o2', 'GET o2']);
        expect(pools.closed).toEqual(['o1']);
      },
    );

    it(
      'when no successor passes within the window, fails as none ' + 'passing and closes the pool of the one that left',
      async () => {
        vi.useFakeTimers();
        const discovery = new FakeDiscovery();
        const pools = fakePools({ o1: 'refuse' });
        const orders = client(discovery, pools, { fallbackWindow: 1_000, timeout: 60_000 });
        discovery.push('o1');
        await vi.advanceTimersByTimeAsync(0);
        discovery.push();
        await vi.advanceTimersByTimeAsync(0);
        let settled: unknown;
        const pending = orders.request({ path: '/' }).catch((e: unknown) => (settled = e));
        await vi.advanceTimersByTimeAsync(990);
        expect(settled).toBeUndefined();
        await vi.advanceTimersByTimeAsync(10);
        await pending;
        expect((settled as ServiceRequestError).failure).toBe('no-instance');
        expect(pools.closed).toEqual(['o1']);
        const late = (await orders.request({ path: '/' }).catch((e: unknown) => e)) as Error;
        expect(late.message).toBe(
          'GET / to service "orders" failed: no instance is passing its checks; no instance was tried',
        );
      },
    );

    it('with no instance ever known to have left, fails at once as before', async () => {
      const discovery = new FakeDiscovery();
      const pools = fakePools({});
      discovery.push();
      const error = (await client(discovery, pools)
        .request({ path: '/' })
        .catch((e: unknown) => e)) as ServiceRequestError;
      expect(error.failure).toBe('no-instance');
      expect(pools.calls).toEqual([]);
    });
  });

  describe('ejection: an instance still listed that a connection could not be made to', () => {
    const picksOf = (pools: ReturnType<typeof fakePools>, id: string) =>
      pools.calls.filter((c) => c === `GET ${id}`).length;
    const send = async (orders: ServiceClient, n: number) => {
      for (let i = 0; i < n; i++) await text((await orders.request({ path: '/' })).body);
    };
    /** A client over `ids`, whose fake pools do what `behaviour` says as the test changes it. */
    const listed = (behaviour: Record<string, Behaviour>, options = {}, ids = ['o1', 'o2']) => {
      const discovery = new FakeDiscovery();
      const pools = fakePools(behaviour);
      const orders = client(discovery, pools, options);
      discovery.push(...ids);
      return { discovery, pools, orders };
    };

    it('leaves it out of later picks at once, while the watch still lists it', async () => {
      const { pools, orders } = listed({ o1: 'refuse' }, {}, ['o1', 'o2', 'o3']);
      await send(orders, 1);
      expect(picksOf(pools, 'o1')).toBe(1);
      await send(orders, 6);
      expect(picksOf(pools, 'o1')).toBe(1);
      expect([picksOf(pools, 'o2'), picksOf(pools, 'o3')]).toEqual([3, 4]);
      expect(orders.instances.map((i) => i.id)).toEqual(['o1', 'o2', 'o3']);
      expect(quiet.log).toHaveBeenCalledWith(
        '"orders": o1 (http://127.0.0.1:3001) out of picks for 1000 ms (ejectionTime): connection refused ' +
          '(ECONNREFUSED)',
      );
    });

    it('takes it back after ejectionTime, doubled at each refusal up to 8 times; an answer resets it', async () => {
      vi.useFakeTimers();
      const behaviour: Record<string, Behaviour> = { o1: 'refuse' };
      const { pools, orders } = listed(behaviour, { timeout: 60_000 });
      await vi.advanceTimersByTimeAsync(0);
      await send(orders, 1);
      expect(picksOf(pools, 'o1')).toBe(1);
      // Out for 1, 2, 4, 8, then 8 s again: never picked before the end, picked once after it (and refused).
      for (const [out, picks] of [
        [1_000, 2],
        [2_000, 3],
        [4_000, 4],
        [8_000, 5],
        [8_000, 6],
      ] as const) {
        await vi.advanceTimersByTimeAsync(out - 1);
        await send(orders, 4);
        expect(picksOf(pools, 'o1')).toBe(picks - 1);
        await vi.advanceTimersByTimeAsync(1);
        await send(orders, 2);
        expect(picksOf(pools, 'o1')).toBe(picks);
      }
      expect(quiet.warn).toHaveBeenCalledWith(
        '"orders": o1 (http://127.0.0.1:3001) out of picks for 8000 ms (ejectionTime): connection refused ' +
          '(ECONNREFUSED), again while still listed',
      );
      behaviour.o1 = 'ok';
      await vi.advanceTimersByTimeAsync(8_000);
      await send(orders, 2);
      expect(picksOf(pools, 'o1')).toBe(7);
      expect(quiet.log).toHaveBeenCalledWith('"orders": o1 (http://127.0.0.1:3001) answers again: back in picks');
      behaviour.o1 = 'refuse';
      await send(orders, 2);
      expect(picksOf(pools, 'o1')).toBe(8);
      await vi.advanceTimersByTimeAsync(1_000);
      await send(orders, 2);
      expect(picksOf(pools, 'o1')).toBe(9);
    });

    it('when every instance is out, tries them anyway; one that answers is back in picks', async () => {
      const behaviour: Record<string, Behaviour> = { o1: 'refuse' };
      const { pools, orders } = listed(behaviour);
      await send(orders, 2);
      expect(pools.calls).toEqual(['GET o1', 'GET o2', 'GET o2']);
      behaviour.o2 = 'refuse';
      const error = (await orders.request({ path: '/' }).catch((e: unknown) => e)) as ServiceRequestError;
      expect(error.attempts.map((a) => a.instanceId)).toEqual(['o2', 'o1']);
      behaviour.o1 = 'ok';
      const response = await orders.request({ path: '/' });
      expect([response.instance.id, response.attempts]).toEqual(['o1', 2]);
      pools.calls.length = 0;
      await send(orders, 3);
      expect(pools.calls).toEqual(['GET o1', 'GET o1', 'GET o1']);
    });

    it('requests in flight: an answer to one does not end the ejection, a refusal does not extend it', async () => {
      vi.useFakeTimers();
      const behaviour: Record<string, Behaviour> = { o1: 'held' };
      const { pools, orders } = listed(behaviour, { timeout: 60_000 }, ['o1', 'o2', 'o3']);
      await vi.advanceTimersByTimeAsync(0);
      const inFlight: Promise<ServiceResponse>[] = [];
      for (let i = 0; i < 3; i++) {
        inFlight.push(orders.request({ path: '/' }));
        await vi.advanceTimersByTimeAsync(0);
        expect(pools.held).toHaveLength(i + 1);
        if (i < 2) await send(orders, 2);
      }
      expect(picksOf(pools, 'o1')).toBe(3);
      behaviour.o1 = 'refuse';
      const [refused, answered, refusedToo] = pools.held;
      refused!('refuse');
      refusedToo!('refuse');
      const retried = await Promise.all([inFlight[0]!, inFlight[2]!]);
      expect(retried.map((r) => [r.instance.id === 'o1', r.attempts])).toEqual([
        [false, 2],
        [false, 2],
      ]);
      answered!();
      const response = await inFlight[1]!;
      expect([response.instance.id, response.attempts, await text(response.body)]).toEqual(['o1', 1, 'o1']);
      await send(orders, 4);
      await vi.advanceTimersByTimeAsync(999);
      await send(orders, 4);
      expect(picksOf(pools, 'o1')).toBe(3);
      behaviour.o1 = 'ok';
      await vi.advanceTimersByTimeAsync(1);
      await send(orders, 3);
      expect(picksOf(pools, 'o1')).toBe(4);
    });

    it('the watch listing it again after it left ends the ejection (a new registration)', async () => {
      const behaviour: Record<string, Behaviour> = { o1: 'refuse' };
      const { discovery, pools, orders } = listed(behaviour);
      await send(orders, 3);
      expect(picksOf(pools, 'o1')).toBe(1);
      discovery.push('o2');
      await until(() => orders.instances.length === 1);
      behaviour.o1 = 'ok';
      discovery.push('o1', 'o2');
      await until(() => orders.instances.length === 2);
      await send(orders, 2);
      expect(picksOf(pools, 'o1')).toBe(2);
    });

    it('a connect failing after the watch dropped the instance ejects nothing (its pool was closed)', async () => {
      const { discovery, pools, orders } = listed({ o4: 'held' }, { fallbackWindow: 0 }, ['o4', 'o5']);
      const inFlight = orders.request({ path: '/' });
      await until(() => pools.held.length === 1);
      discovery.push('o5');
      await until(() => pools.closed.length === 1);
      pools.held[0]!('refuse');
      expect((await inFlight).instance.id).toBe('o5');
      expect(quiet.log).not.toHaveBeenCalledWith(expect.stringContaining('o4 (http://127.0.0.1:3004) out of picks'));
    });

    it('ejectionTime: 0 never leaves one out; a negative or fractional one is refused', async () => {
      const { discovery, pools, orders } = listed({ o1: 'refuse' }, { ejectionTime: 0 });
      await send(orders, 3);
      expect(picksOf(pools, 'o1')).toBe(3);
      expect(() => new ServiceClient('orders', discovery, { ejectionTime: -1 }, quiet)).toThrow(
        'option "ejectionTime" of the client of "orders" is -1; it must be a whole number of milliseconds from 0 to',
      );
      expect(() => new ServiceClient('orders', discovery, { ejectionTime: 1.5 }, quiet)).toThrow('"ejectionTime"');
    });
  });

  it('new metadata for the same instance keeps its pool; a new endpoint for the same id replaces it', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({});
    const orders = client(discovery, pools);
    discovery.push('o1');
    await until(() => orders.instances.length === 1);
    discovery.pushList([{ ...instance('o1'), version: '2' }]);
    await until(() => orders.instances[0]?.version === '2');
    expect(pools.closed).toEqual([]);
    discovery.pushList([{ ...instance('o1'), endpoints: ['http://127.0.0.1:3002'] }]);
    await until(() => pools.closed.length === 1);
    expect(pools.closed).toEqual(['o1']);
    expect((await orders.request({ path: '/' })).instance.endpoints).toEqual(['http://127.0.0.1:3002']);
  });

  it('power of two choices: a second request goes to the instance not busy with the first', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({});
    const orders = client(discovery, pools, { balancer: 'p2c' });
    discovery.push('o1', 'o2');
    const first = await orders.request({ path: '/' });
    // Its body is not read yet: that instance still has one request in flight.
    const second = await orders.request({ path: '/' });
    expect(second.instance.id).not.toBe(first.instance.id);
  });

  it('waits for the first list; with none and a failed watch, fails naming the watch error', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({});
    const orders = client(discovery, pools);
    const pending = orders.request({ path: '/' });
    discovery.push('o3');
    expect((await pending).instance.id).toBe('o3');

    const other = new FakeDiscovery();
    const refused = client(other, pools);
    other.fail(new Error('Consul refused the watch (403 Forbidden)'));
    const error = (await refused.request({ path: '/' }).catch((e: unknown) => e)) as ServiceRequestError;
    expect(error.failure).toBe('no-instance');
    expect(error.message).toContain('no instance known yet (Consul refused the watch (403 Forbidden))');
  });

  it('with an empty list, says no instance is passing', async () => {
    const discovery = new FakeDiscovery();
    discovery.push();
    const error = (await client(discovery, fakePools({}))
      .request({ path: '/' })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      'GET / to service "orders" failed: no instance is passing its checks; no instance was tried',
    );
  });

  it('times out at `timeout`, not before, naming the instance it waited on', async () => {
    vi.useFakeTimers();
    const discovery = new FakeDiscovery();
    const pools = fakePools({ o1: 'hang' });
    const orders = client(discovery, pools, { timeout: 500 });
    discovery.push('o1');
    let settled: unknown;
    const pending = orders.request({ path: '/slow' }).catch((e: unknown) => (settled = e));
    await vi.advanceTimersByTimeAsync(499);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect((settled as ServiceRequestError).failure).toBe('timeout');
    expect((settled as Error).message).toBe(
      'GET /slow to service "orders" failed: no response within 500 ms (timeout); tried o1 (http://127.0.0.1:3001): ' +
        'aborted',
    );
  });

  it('an aborted caller signal ends the request as aborted', async () => {
    const discovery = new FakeDiscovery();
    discovery.push('o1');
    const controller = new AbortController();
    const orders = client(discovery, fakePools({ o1: 'hang' }));
    const pending = orders.request({ path: '/', signal: controller.signal }).catch((e: unknown) => e);
    await until(() => orders.instances.length === 1);
    controller.abort();
    expect(((await pending) as ServiceRequestError).failure).toBe('aborted');
  });

  it('an unknown option is refused, naming the client and the closest known option', () => {
    expect(() => new ServiceClient('orders', new FakeDiscovery(), { maxAttempt: 2 } as never, quiet)).toThrow(
      'unknown option "maxAttempt" of the client of "orders"; did you mean "maxAttempts"?',
    );
  });

  it('close() stops the watch and ends every pool', async () => {
    const discovery = new FakeDiscovery();
    const pools = fakePools({});
    const orders = new ServiceClient('orders', discovery, {}, quiet, pools.createPool);
    discovery.push('o1', 'o2');
    await until(() => orders.instances.length === 2);
    await orders.close();
    expect(discovery.stopped).toBe(true);
    expect(pools.closed.sort()).toEqual(['o1', 'o2']);
  });
});
