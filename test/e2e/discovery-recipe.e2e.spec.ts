import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GRACEFUL_OPTIONS, enableGracefulShutdown } from '../../src';
import { DISCOVERY, StaticDiscovery } from '../../src/discovery';
import { gracefulTestingFactory } from '../../src/testing';
import request from 'supertest';
import { CallerModule as AppModule } from '../../sample-app/caller/caller.module';

describe('checkout (e2e), the orders service stubbed', () => {
  let app: INestApplication;
  let orders: Server;

  beforeAll(async () => {
    // The service the app calls, played by a local server.
    orders = createServer((req, res) => res.end(JSON.stringify({ id: 7, url: req.url })));
    orders.listen(0, '127.0.0.1');
    await once(orders, 'listening');
    const { port } = orders.address() as AddressInfo;

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(GRACEFUL_OPTIONS)
      .useFactory(gracefulTestingFactory())
      .overrideProvider(DISCOVERY) // instead of Consul: "orders" is the local server
      .useValue(new StaticDiscovery({ orders: [`http://127.0.0.1:${port}`] }))
      .compile();
    app = moduleRef.createNestApplication();
    enableGracefulShutdown(app);
    await app.init();
  });

  afterAll(async () => {
    await app.close(); // closes the service clients too
    orders.close();
  });

  it('GET /checkout/7 calls orders', async () => {
    const { body } = await request(app.getHttpServer()).get('/checkout/7').expect(200);
    expect(body.order.id).toBe(7);
    expect(body.servedBy).toBe('orders-1');
  });
});
