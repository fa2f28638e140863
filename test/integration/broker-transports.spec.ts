import { ClientProxyFactory, type ClientProxy } from '@nestjs/microservices';
import { connect as amqpConnect } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import { brokerTransport, createBrokerApp } from '../support/broker-app';
import { startNats, startRabbitMq, startRedis, type Broker } from '../support/broker-servers';
import { waitFor } from '../support/http-client';

const base: GracefulOptions = { exit: false, signals: [], advertiseHost: '127.0.0.1', stopTimeout: 5_000 };
const ids = (count: number, from = 0) => Array.from({ length: count }, (_, i) => from + i);

describe.each([
  {
    name: 'NATS',
    start: startNats,
    transport: (broker: Broker) => brokerTransport('nats', broker),
  },
  {
    name: 'Redis',
    start: startRedis,
    transport: (broker: Broker) => brokerTransport('redis', broker),
  },
])('$name request-reply: messages in flight when the stop begins', ({ start, transport }) => {
  let broker: Broker;
  let client: ClientProxy | undefined;
  beforeAll(async () => {
    broker = await start();
  }, 120_000);
  afterAll(() => broker?.stop());
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('all get their reply, each handled exactly once; the consumer stops before the pool closes', async () => {
    const options = transport(broker);
    const { app, consumed, db } = await createBrokerApp(options, base);
    client = ClientProxyFactory.create(options as Parameters<typeof ClientProxyFactory.create>[0]);
    await client.connect();
    const replies = ids(20).map((id) => lastValueFrom(client!.send<{ id: number; row: string }>('work', { id, ms: 400 })));
    await waitFor(() => consumed.entered.size === 20, 10_000, '20 handlers');
    await app.close();
    expect((await Promise.all(replies)).map((r) => r.id)).toEqual(ids(20));
    expect([...consumed.entered.values()]).toEqual(Array(20).fill(1));
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(app.get(GracefulLifecycle).report).toMatchObject({ exitCode: 0, drained: 20, aborted: [] });
  });
});

describe('RabbitMQ with manual acknowledgements: messages in flight when the stop begins', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startRabbitMq();
  }, 180_000);
  afterAll(() => broker?.stop());

  /** What is left in the queue once the app is gone: ids and whether RabbitMQ redelivered them. */
  async function leftIn(queue: string): Promise<Array<{ id: number; redelivered: boolean }>> {
    const connection = await amqpConnect(broker.url);
    try {
      const channel = await connection.createChannel();
      const left: Array<{ id: number; redelivered: boolean }> = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (message === false) return left;
        left.push({ id: (JSON.parse(message.content.toString()) as { data: { id: number } }).data.id, redelivered: message.fields.redelivered });
      }
    } finally {
      await connection.close();
    }
  }

  it('those that finish are acknowledged once; the one aborted at stopTimeout and those never delivered stay queued', async () => {
    const queue = `jobs-${randomUUID()}`;
    const connection = await amqpConnect(broker.url);
    const channel = await connection.createChannel();
    await channel.assertQueue(queue);
    // 10 delivered at once (prefetch 10): 9 finish in 400 ms, id 0 would take a minute; 5 wait in the queue.
    for (const id of ids(15)) channel.sendToQueue(queue, Buffer.from(JSON.stringify({ pattern: 'job', data: { id, ms: id === 0 ? 60_000 : 400 } })));
    await channel.close();
    await connection.close();

    const { app, consumed } = await createBrokerApp(
      brokerTransport('rmq', broker, { queue, prefetchCount: 10 }),
      { ...base, stopTimeout: 2_000, abortGrace: 100 },
    );
    await waitFor(() => consumed.entered.size === 10, 20_000, '10 handlers');
    await app.close();

    expect([...consumed.finished.keys()].sort((a, b) => a - b)).toEqual(ids(9, 1));
    // The interceptor completes the stuck handler's stream at the abort: it is still reported as aborted.
    expect(app.get(GracefulLifecycle).report).toMatchObject({
      exitCode: 1,
      drained: 9,
      aborted: [expect.objectContaining({ kind: 'rpc', name: 'Consumer.job' })],
      phases: expect.arrayContaining([expect.objectContaining({ phase: 'drain', ok: false })]),
    });
    const left = await leftIn(queue);
    expect(left.map((m) => m.id).sort((a, b) => a - b)).toEqual([0, 10, 11, 12, 13, 14]);
    expect(left.find((m) => m.id === 0)?.redelivered).toBe(true);
    expect(left.filter((m) => m.id !== 0).every((m) => !m.redelivered)).toBe(true);
  });
});
