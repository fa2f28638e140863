import { Controller, Module, UseInterceptors, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RmqContext, Transport, type MicroserviceOptions } from '@nestjs/microservices';
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

/**
 * A microservice transport of one of the brokers the tests start (broker-servers.ts):
 * NATS and Redis for request-reply, RabbitMQ with manual acknowledgements.
 */
export function brokerTransport(
  broker: 'nats' | 'redis' | 'rmq',
  { url, port }: { url: string; port: number },
  rmq: { queue?: string; prefetchCount?: number } = {},
): MicroserviceOptions {
  if (broker === 'nats') return { transport: Transport.NATS, options: { servers: [url] } };
  if (broker === 'redis') return { transport: Transport.REDIS, options: { host: '127.0.0.1', port } };
  return { transport: Transport.RMQ, options: { urls: [url], queue: rmq.queue, noAck: false, prefetchCount: rmq.prefetchCount } };
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
  const bump = (map: Map<number, number>, id: number, event: string) => {
    map.set(id, (map.get(id) ?? 0) + 1);
    onEvent(`${event} ${id}`);
  };

  @Controller()
  @UseInterceptors(GracefulInterceptor)
  class Consumer {
    constructor(private readonly db: FakeDbPool) {}

    @MessagePattern('work')
    async work(@Payload() job: Job): Promise<WorkReply> {
      bump(consumed.entered, job.id, 'entered-job');
      const row = await this.db.slowQuery(job.ms);
      bump(consumed.finished, job.id, 'finished-job');
      return { id: job.id, row, pid: process.pid };
    }

    @EventPattern('job')
    async job(@Payload() job: Job, @Ctx() context: unknown): Promise<void> {
      bump(consumed.entered, job.id, 'entered-job');
      await this.db.slowQuery(job.ms);
      if (context instanceof RmqContext) (context.getChannelRef() as { ack(message: unknown): void }).ack(context.getMessage());
      bump(consumed.finished, job.id, 'finished-job');
    }
  }

  @Module({ imports: [GracefulModule.forRoot(options)], controllers: [Consumer], providers: [FakeDbPool] })
  class BrokerAppModule {}

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(BrokerAppModule, { ...transport, logger: ['error', 'warn', 'log'] });
  enableGracefulShutdown(app);
  await app.listen();
  return { app, consumed, db: app.get(FakeDbPool) };
}
