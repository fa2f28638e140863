import { Controller, Inject, Injectable, Module, Optional, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Client,
  ClientKafka,
  ClientsModule,
  Ctx,
  EventPattern,
  KafkaContext,
  MessagePattern,
  Payload,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { GracefulModule, enableGracefulShutdown, type GracefulOptions } from '../../src';
import { FakeDbPool } from './fake-db';

/** How a Kafka test app is made and stopped. */
export type KafkaAppMode =
  /** `NestFactory.create()` + `connectMicroservice()`, with GracefulModule. */
  | 'hybrid'
  /** `NestFactory.createMicroservice()`, with GracefulModule. */
  | 'standalone'
  /** A hybrid app without the library: Nest's own `enableShutdownHooks()`. */
  | 'plain';

export interface KafkaAppConfig {
  mode: KafkaAppMode;
  brokers: string[];
  /** The events' topic; requests go to `<topic>.work`. */
  topic: string;
  /** The consumer group (Nest appends `-server`). */
  groupId: string;
  /** kafkajs' consumer timings: the tests shorten the session so a dead member leaves in seconds. */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  options?: GracefulOptions;
  /**
   * Each finished event is forwarded to this topic without waiting (fire and forget), by two
   * producer-only ClientKafka: one from `ClientsModule.register()` (id), one a `@Client()` property (-id).
   */
  forwardTo?: string;
}

/** The token of the ClientKafka the app forwards events with. */
const FORWARDER = 'KAFKA_FORWARDER';

/** An event's or a request's payload: `ms` of work before the query; negative: held at the pool's gate. */
export interface KafkaJob {
  id: number;
  ms: number;
}

/**
 * A Kafka consumer app: `<topic>` events and `<topic>.work` requests, each doing `ms` of work
 * and then a query on a pool closed in onModuleDestroy. Prints `EVENT entered-job <id> <pid>
 * <partition>`, then `EVENT finished-job <id> <pid>` or `EVENT failed-job <id> <pid> <error>`.
 */
export async function createKafkaApp(
  config: KafkaAppConfig,
): Promise<{ app: INestApplicationContext; db: FakeDbPool }> {
  const { topic } = config;

  const clientOptions = {
    client: { clientId: `kafka-test-out-${process.pid}`, brokers: config.brokers, logLevel: 1 },
    producerOnlyMode: true,
  };

  @Injectable()
  class Forwarder {
    @Client({ transport: Transport.KAFKA, options: clientOptions })
    private readonly decorated!: ClientKafka;

    constructor(@Inject(FORWARDER) private readonly registered: ClientKafka) {}

    forward(id: number): void {
      void this.registered.emit(config.forwardTo!, { id });
      void this.decorated.emit(config.forwardTo!, { id: -id });
      console.log(`EVENT forwarded-job ${id} ${process.pid}`);
    }
  }

  // No GracefulInterceptor: the Kafka participant tracks each message at the transport.
  @Controller()
  class KafkaConsumer {
    constructor(
      private readonly db: FakeDbPool,
      @Optional() private readonly forwarder?: Forwarder,
    ) {}

    @EventPattern<string>(topic)
    async job(@Payload() job: KafkaJob, @Ctx() context: KafkaContext): Promise<void> {
      await this.run(job, context);
      this.forwarder?.forward(job.id);
    }

    @MessagePattern(`${topic}.work`)
    async work(@Payload() job: KafkaJob, @Ctx() context: KafkaContext): Promise<{ id: number; pid: number }> {
      await this.run(job, context);
      return { id: job.id, pid: process.pid };
    }

    private async run(job: KafkaJob, context: KafkaContext): Promise<void> {
      console.log(`EVENT entered-job ${job.id} ${process.pid} ${context.getPartition()}`);
      try {
        await this.db.slowQuery(job.ms);
      } catch (error) {
        console.log(`EVENT failed-job ${job.id} ${process.pid} ${(error as Error).message}`);
        throw error;
      }
      console.log(`EVENT finished-job ${job.id} ${process.pid}`);
    }
  }

  const graceful =
    config.mode === 'plain' ? [] : [GracefulModule.forRoot({ advertiseHost: '127.0.0.1', ...config.options })];
  const forwarding = config.forwardTo
    ? {
        imports: [ClientsModule.register([{ name: FORWARDER, transport: Transport.KAFKA, options: clientOptions }])],
        providers: [Forwarder],
      }
    : { imports: [], providers: [] };
  @Module({
    imports: [...graceful, ...forwarding.imports],
    controllers: [KafkaConsumer],
    providers: [FakeDbPool, ...forwarding.providers],
  })
  class KafkaAppModule {}

  const transport: MicroserviceOptions = {
    transport: Transport.KAFKA,
    options: {
      client: { clientId: `kafka-test-${process.pid}`, brokers: config.brokers, logLevel: 1 },
      consumer: {
        groupId: config.groupId,
        sessionTimeout: config.sessionTimeout ?? 6_000,
        heartbeatInterval: config.heartbeatInterval ?? 500,
      },
      subscribe: { fromBeginning: true },
      // Several messages in flight per consumer, one per partition, as a busy consumer has them.
      run: { partitionsConsumedConcurrently: 3 },
    },
  };
  const logger: ['error', 'warn', 'log'] = ['error', 'warn', 'log'];
  if (config.mode === 'standalone') {
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(KafkaAppModule, { ...transport, logger });
    enableGracefulShutdown(app);
    await app.listen();
    printRebalances(app, topic);
    return { app, db: app.get(FakeDbPool) };
  }
  const app = await NestFactory.create(KafkaAppModule, { logger });
  if (config.mode === 'plain') app.enableShutdownHooks();
  else enableGracefulShutdown(app);
  app.connectMicroservice(transport);
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  printRebalances(app.getMicroservices()[0]!, topic);
  return { app, db: app.get(FakeDbPool) };
}

interface ConsumerEvents {
  events: { GROUP_JOIN: string };
  on(event: string, listener: (event: { payload: { memberAssignment: Record<string, number[]> } }) => void): void;
}

/**
 * Prints `EVENT assigned <partitions of topic>` each time the consumer joins its group again
 * (a rebalance), so tests can wait for one; the first join happened inside `listen()`.
 */
function printRebalances(microservice: { unwrap<T>(): T }, topic: string): void {
  const [, consumer] = microservice.unwrap<[unknown, ConsumerEvents]>();
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const partitions = [...(payload.memberAssignment[topic] ?? [])].sort();
    console.log(`EVENT assigned ${partitions.join(',') || 'none'}`);
  });
}
