import { Controller, Module, UseInterceptors, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RmqContext, type MicroserviceOptions } from '@nestjs/microservices';
import { GracefulInterceptor, GracefulModule, enableGracefulShutdown, type GracefulOptions } from '../../src';
import { FakeDbPool } from './fake-db';

export interface Job {
  id: number;
  /** How long the handler works before its query. */
  ms: number;
}

/** What the consumer of one test app saw. */
export interface Consumed {
  /** Handlers entered, by id. */
  readonly entered: Map<number, number>;
  /** Handlers that finished (and, on RabbitMQ, acknowledged), by id. */
  readonly finished: Map<number, number>;
}

const bump = (map: Map<number, number>, id: number) => map.set(id, (map.get(id) ?? 0) + 1);

/**
 * A microservice-only app consuming one broker: `work` (request-reply) and `job` (event;
 * on RabbitMQ acknowledged by hand once done), both slow and querying the pool at the end.
 */
export async function createBrokerApp(
  transport: MicroserviceOptions,
  options: GracefulOptions,
): Promise<{ app: INestMicroservice; consumed: Consumed; db: FakeDbPool }> {
  const consumed: Consumed = { entered: new Map(), finished: new Map() };

  @Controller()
  @UseInterceptors(GracefulInterceptor)
  class Consumer {
    constructor(private readonly db: FakeDbPool) {}

    @MessagePattern('work')
    async work(@Payload() job: Job): Promise<{ id: number; row: string }> {
      bump(consumed.entered, job.id);
      const row = await this.db.slowQuery(job.ms);
      bump(consumed.finished, job.id);
      return { id: job.id, row };
    }

    @EventPattern('job')
    async job(@Payload() job: Job, @Ctx() context: unknown): Promise<void> {
      bump(consumed.entered, job.id);
      await this.db.slowQuery(job.ms);
      if (context instanceof RmqContext) (context.getChannelRef() as { ack(message: unknown): void }).ack(context.getMessage());
      bump(consumed.finished, job.id);
    }
  }

  @Module({ imports: [GracefulModule.forRoot(options)], controllers: [Consumer], providers: [FakeDbPool] })
  class BrokerAppModule {}

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(BrokerAppModule, { ...transport, logger: ['error', 'warn', 'log'] });
  enableGracefulShutdown(app);
  await app.listen();
  return { app, consumed, db: app.get(FakeDbPool) };
}
