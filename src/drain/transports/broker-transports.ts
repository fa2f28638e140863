import { Logger } from '@nestjs/common';
import type { DrainParticipant } from './drain-participant.interface.js';
import { mqttDrain } from './mqtt.participant.js';
import { TRANSPORT, transportsOf, type TransportServerLike } from './nest-transports.js';

const logger = new Logger('Graceful');

/** Temporary, until the participants list: the MQTT transports' participants (the sentences say why one cannot be drained). */
function mqttParticipants(app: unknown): DrainParticipant[] {
  return mqttDrain.detect({ app }).filter((found): found is DrainParticipant => {
    if (typeof found === 'string') logger.warn(found);
    return typeof found !== 'string';
  });
}
const unbounded = new AbortController().signal;

/** Nest's ServerNats, as read here (nats.js v3 subscriptions and connection). */
interface NatsTransportLike extends TransportServerLike {
  subscriptions?: Array<{ drain(): Promise<void>; isClosed(): boolean }>;
  natsClient?: { flush(): Promise<void>; isClosed(): boolean } | null;
}

/** Nest's ServerRedis, as read here (ioredis clients: one subscribes, one publishes replies). */
interface RedisTransportLike extends TransportServerLike {
  subClient?: { status: string; unsubscribe(): Promise<unknown>; punsubscribe(): Promise<unknown> } | null;
  pubClient?: unknown;
}

/** Nest's ServerRMQ, as read here: amqp-connection-manager's ChannelWrapper around an amqplib channel. */
interface RmqTransportLike extends TransportServerLike {
  channel?: { _channel?: { consumers?: Map<string, unknown>; cancel(consumerTag: string): Promise<unknown> } } | null;
  server?: unknown;
}

/**
 * Phase 5 for message brokers: stop consuming, while the handlers already running go on
 * and their replies and acknowledgements still go out over the connection. NATS drains
 * its subscriptions (messages already received are still handled), Redis unsubscribes,
 * RabbitMQ cancels its consumer (messages delivered and not yet acknowledged stay with
 * this consumer until it acknowledges them or its channel closes, which requeues them).
 * Returns how many transports stopped consuming.
 */
export async function stopConsuming(app: unknown): Promise<number> {
  const stops = [
    ...transportsOf<NatsTransportLike>(app, TRANSPORT.NATS).map(async (nats) => {
      const open = (nats.subscriptions ?? []).filter((subscription) => !subscription.isClosed());
      await Promise.all(open.map((subscription) => subscription.drain()));
      return open.length > 0;
    }),
    ...transportsOf<RedisTransportLike>(app, TRANSPORT.REDIS).map(async (redis) => {
      const client = redis.subClient;
      if (!client || client.status !== 'ready') return false;
      await Promise.all([client.unsubscribe(), client.punsubscribe()]);
      return true;
    }),
    ...transportsOf<RmqTransportLike>(app, TRANSPORT.RMQ).map(async (rmq) => {
      const channel = rmq.channel?._channel;
      const tags = [...(channel?.consumers?.keys() ?? [])];
      await Promise.all(tags.map((tag) => channel!.cancel(tag)));
      return tags.length > 0;
    }),
    ...mqttParticipants(app).map(async (mqtt) => (await mqtt.stopAccepting(unbounded)) !== undefined),
  ];
  const settled = await Promise.allSettled(stops);
  for (const result of settled) {
    if (result.status === 'rejected') logger.warn(`could not stop a broker consumer: ${String(result.reason)}`);
  }
  return settled.filter((result) => result.status === 'fulfilled' && result.value).length;
}

/**
 * End of the drain: each broker connection is closed by its transport's own close, before
 * `onModuleDestroy`; replies and acknowledgements queued by the handlers that finished
 * are flushed first, and RabbitMQ requeues what was delivered and never acknowledged.
 * The transport's clients are then forgotten, so Nest's later close has nothing to do twice.
 */
export async function closeBrokerConnections(app: unknown): Promise<void> {
  const closes = [
    ...transportsOf<NatsTransportLike>(app, TRANSPORT.NATS).map(async (nats) => {
      if (nats.natsClient && !nats.natsClient.isClosed()) await nats.natsClient.flush();
      await nats.close(); // sets natsClient to null
    }),
    ...transportsOf<RedisTransportLike>(app, TRANSPORT.REDIS).map(async (redis) => {
      if (!redis.subClient && !redis.pubClient) return;
      await redis.close(); // QUIT goes after the replies already queued
      redis.subClient = redis.pubClient = null;
    }),
    ...transportsOf<RmqTransportLike>(app, TRANSPORT.RMQ).map(async (rmq) => {
      if (!rmq.channel && !rmq.server) return;
      await rmq.close();
      rmq.channel = rmq.server = null;
    }),
    ...mqttParticipants(app).map((mqtt) => mqtt.closeRemaining(unbounded)),
  ];
  for (const result of await Promise.allSettled(closes)) {
    if (result.status === 'rejected') logger.warn(`closing a broker connection failed: ${String(result.reason)}`);
  }
}
