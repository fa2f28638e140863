import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ServiceClient, type ServiceClientOptions, StaticDiscovery } from '../../src/discovery';
import { freePort } from '../support/server-process';

/** Real sockets: one instance answers, the other's listener has closed, and the discovery still lists both. */
describe('ServiceClient: an instance listed after its listener closed (real connections)', () => {
  const live = createServer((_req, res) => res.end('live'));
  let discovery: StaticDiscovery;

  beforeAll(async () => {
    live.listen(0, '127.0.0.1');
    await once(live, 'listening');
    const closed = await freePort();
    discovery = new StaticDiscovery({
      orders: [`http://127.0.0.1:${(live.address() as AddressInfo).port}`, `http://127.0.0.1:${closed}`],
    });
  });

  afterAll(() => live.close());

  /** Connections refused in `count` requests: each one sent the request again to the live instance. */
  async function refusedIn(count: number, options: ServiceClientOptions): Promise<number> {
    const client = new ServiceClient('orders', discovery, { balancer: 'round-robin', ...options }, { warn: vi.fn() });
    try {
      let refused = 0;
      for (let i = 0; i < count; i++) {
        const response = await client.request({ path: '/' });
        expect(await response.body.text()).toBe('live');
        refused += response.attempts - 1;
      }
      return refused;
    } finally {
      await client.close();
    }
  }

  it('gets one connection in 200 requests once ejected, where it got one in every other request without', async () => {
    // An ejection longer than any run of 200 requests: the figure does not depend on the machine's speed.
    expect(await refusedIn(200, { ejectionTime: 600_000 })).toBe(1);
    expect(await refusedIn(200, { ejectionTime: 0 })).toBeGreaterThanOrEqual(100);
  });
});
