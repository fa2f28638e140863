import { Controller, Module, UseInterceptors, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RmqContext,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { GracefulInterceptor, GracefulModule, enableGracefulShutdown, type GracefulOptions } from '../../src';
import { FakeDbPool } from './fake-db';

export interface Job {
  id: number;
  /** How long the handler works before its query; negative: until the pool's gate opens (FakeDbPool.open()). */
  ms: number;
}

/** A reply to `work`: the job, and which process handled it. */
export interface WorkReply {
  id: number;
  row: string;
  pid: number;
}

/** What the consumer of one test app saw. */
export interface Consumed {
  /** Handlers entered, by id. */
  readonly entered: Map<number, number>;
  /** Handlers that finished (and, on RabbitMQ, acknowledged), by id. */
  readonly finished: Map<number, number>;
}

/** The brokers of the tests (broker-servers.ts). */
export type BrokerKind = 'nats' | 'redis' | 'rmq' | 'mqtt';

/**
 * MQTT consumers subscribe in one shared subscription group, as a service's instances do:
 * each message goes to one of them (mosquitto picks them in turn), not to all.
 */
export const MQTT_GROUP = '$share/graceful';

/**
 * A microservice transport of one of the brokers the tests start (broker-servers.ts):
 * NATS, Redis and MQTT for request-reply, RabbitMQ with manual acknowledgements; MQTT
 * consumers subscribe at QoS 1.
 */
export function brokerTransport(
  broker: BrokerKind,
  { url, port }: { url: string; port: number },
  rmq: { queue?: string; prefetchCount?: number } = {},
): MicroserviceOptions {
  if (broker === 'nats') return { transport: Transport.NATS, options: { servers: [url] } };
  if (broker === 'redis') return { transport: Transport.REDIS, options: { host: '127.0.0.1', port } };
  if (broker === 'mqtt') return { transport: Transport.MQTT, options: { url, subscribeOptions: { qos: 1 } } };
  return {
    transport: Transport.RMQ,
    options: { urls: [url], queue: rmq.queue, noAck: false, prefetchCount: rmq.prefetchCount },
  };
}

/**
 * A microservice-only app consuming one broker: `work` (request-reply) and `job` (event;
 * on RabbitMQ acknowledged by hand once done), both slow (or held at the pool's gate) and
 * querying the pool at the end. `onEvent` hears `entered-job <id>` and `finished-job <id>`.
 */
export async function createBrokerApp(
  transport: MicroserviceOptions,
  options: GracefulOptions,
  onEvent: (event: string) => void = () => {},
): Promise<{ app: INestMicroservice; consumed: Consumed; db: FakeDbPool }> {
  const consumed: Consumed = { entered: new Map(), finished: new Map() };
  const mqtt = 'transport' in transport && transport.transport === Transport.MQTT;
  const patterns = { work: mqtt ? `${MQTT_GROUP}/work` : 'work', job: mqtt ? `${MQTT_GROUP}/job` : 'job' };
  const bump = (map: Map<number, number>, id: number, event: string) => {
    map.set(id, (map.get(id) ?? 0) + 1);
    onEvent(`${event} ${id}`);
  };

  @Controller()
  @UseInterceptors(GracefulInterceptor)
  class Consumer {
    constructor(private readonly db: FakeDbPool) {}

    @MessagePattern(patterns.work)
    async work(@Payload() job: Job): Promise<WorkReply> {
      bump(consumed.entered, job.id, 'entered-job');
      const row = await this.db.slowQuery(job.ms);
      bump(consumed.finished, job.id, 'finished-job');
      return { id: job.id, row, pid: process.pid };
    }

    @EventPattern<Record<string, Job>>(patterns.job)
    async job(@Payload() job: Job, @Ctx() context: unknown): Promise<void> {
      bump(consumed.entered, job.id, 'entered-job');
      await this.db.slowQuery(job.ms);
      if (context instanceof RmqContext)
        (context.getChannelRef() as { ack(message: unknown): void }).ack(context.getMessage());
      bump(consumed.finished, job.id, 'finished-job');
    }
  }

  @Module({ imports: [GracefulModule.forRoot(options)], controllers: [Consumer], providers: [FakeDbPool] })
  class BrokerAppModule {}

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(BrokerAppModule, {
    ...transport,
    logger: ['error', 'warn', 'log'],
  });
  enableGracefulShutdown(app);
  const subscribed = mqtt ? subacks(app, 2) : Promise.resolve();
  await app.listen();
  await subscribed;
  return { app, consumed, db: app.get(FakeDbPool) };
}

/**
 * MQTT: listen() resolves at the broker's CONNACK, before it acknowledged the subscriptions
 * (mqtt.js sends them after): resolves once it acknowledged `count` of them.
 */
function subacks(app: INestMicroservice, count: number): Promise<void> {
  return new Promise((resolve) => {
    let acknowledged = 0;
    app.on('packetreceive', (packet: { cmd: string }) => {
      if (packet.cmd === 'suback' && ++acknowledged === count) resolve();
    });
  });
}
