import { ClientProxyFactory, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { connect as amqpConnect, type ConfirmChannel } from 'amqplib';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Job } from './broker-app';
import type { Broker } from './broker-servers';

/**
 * A broker for the describe block this is called in: started before its tests (within `limitMs`), stopped after them.
 */
export function brokerForSuite(start: () => Promise<Broker>, limitMs: number): { readonly broker: Broker } {
  const suite = {} as { broker: Broker };
  beforeAll(async () => {
    suite.broker = await start();
  }, limitMs);
  afterAll(() => suite.broker?.stop());
  return suite;
}

/** A Nest client for request-reply over `transport`, connected; closed after the test. */
export function replyClients(): (transport: MicroserviceOptions) => Promise<ClientProxy> {
  const clients: ClientProxy[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });
  return async (transport) => {
    const client = ClientProxyFactory.create(transport as Parameters<typeof ClientProxyFactory.create>[0]);
    clients.push(client);
    await client.connect();
    return client;
  };
}

/** A RabbitMQ queue of `job` events, seen through fresh connections of its own. */
export function amqpQueue(broker: Broker, queue: string) {
  async function withChannel<T>(use: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    const connection = await amqpConnect(broker.url);
    try {
      return await use(await connection.createConfirmChannel());
    } finally {
      await connection.close();
    }
  }
  return {
    /** Declares the queue and publishes `jobs` as Nest's RMQ transport expects them, confirmed by the broker. */
    publish: (jobs: Job[]) =>
      withChannel(async (channel) => {
        await channel.assertQueue(queue);
        for (const job of jobs) channel.sendToQueue(queue, Buffer.from(JSON.stringify({ pattern: 'job', data: job })));
        await channel.waitForConfirms();
      }),
    /** Messages ready in the queue (not those delivered and not yet acknowledged). */
    depth: () => withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount),
    /** Takes everything left: ids, in order, and whether RabbitMQ had delivered each before. */
    takeAll: () =>
      withChannel(async (channel) => {
        const left: Array<{ id: number; redelivered: boolean }> = [];
        for (;;) {
          const message = await channel.get(queue, { noAck: true });
          if (message === false) return left.sort((a, b) => a.id - b.id);
          left.push({
            id: (JSON.parse(message.content.toString()) as { data: Job }).data.id,
            redelivered: message.fields.redelivered,
          });
        }
      }),
  };
}
