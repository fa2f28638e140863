import { DrainUnit, type DrainLedger } from '../drain-ledger.js';
import { asTransportUnit } from '../handler-call.js';
import type { WorkTracker } from '../work-tracker.service.js';
import type { WorkKind } from '../work-unit.interface.js';
import type { DrainContext, DrainParticipant, TransportDrain } from './drain-participant.interface.js';
import { consumerWaitOver, LEAVE_MARGIN_MS } from './kafka-timing.js';
import { patchMethods } from './method-patch.js';
import { describeTransport, microserviceDrain, TRANSPORT, type TransportServerLike } from './nest-transports.js';

/** kafkajs' Consumer and Producer: their public API. */
interface KafkaConsumerLike {
  stop(): Promise<void>;
  disconnect(): Promise<void>;
}
interface KafkaProducerLike {
  disconnect(): Promise<void>;
}

/** What kafkajs passes to `eachMessage`, as read here. */
interface EachMessageLike {
  topic: string;
  partition: number;
  message: { offset: string };
}

/**
 * Nest's ServerKafka, as read here: `consumer` and `producer` (what its public `unwrap()`
 * returns), and the two methods it calls for each message and each reply (public on the
 * class, undocumented): kafkajs' `eachMessage` calls `this.handleMessage(payload)`, and a
 * reply is published by `this.sendMessage(...)` on a later tick, after `handleMessage` settled.
 */
interface KafkaTransportLike extends TransportServerLike {
  /** The transport's options (`options` of `connectMicroservice()` / `createMicroservice()`). */
  options?: { consumer?: { maxWaitTimeInMs?: number } };
  consumer: KafkaConsumerLike | null;
  producer: KafkaProducerLike | null;
  handleMessage(payload: EachMessageLike): Promise<unknown>;
  sendMessage(...args: unknown[]): Promise<unknown>;
}

/** The consumer between phase 5 and the end of its `stop()`: it holds the drain, but is not work. */
class ConsumerLeaving extends DrainUnit {
  readonly kind: WorkKind = 'rpc';
  readonly startedAt = performance.now();
  readonly isWork = false;
  readonly name = 'Kafka consumer committing and leaving its group';
}

/**
 * A Kafka transport (kafkajs behind Nest's ServerKafka), in a hybrid app or alone. Each
 * message is a unit from the moment kafkajs hands it to Nest until its handler settled, and
 * each reply until the broker took it, with or without GracefulInterceptor. Phase 5: the
 * consumer's `stop()` begins: kafkajs fetches nothing more and hands no further message of
 * a fetched batch to Nest, lets the messages in flight finish, commits the offsets of those
 * that finished (only those), and leaves the group, so the partitions move to the other
 * members at once instead of after `sessionTimeout`. The drain waits for all of it. A
 * handler still running at the deadline is cut and reported; its offset is never committed,
 * so its message is delivered again elsewhere. Disconnect: consumer and producer disconnect
 * (the replies were already sent), and the transport forgets them so that Nest's own close,
 * after `onModuleDestroy`, neither waits for a consumer stuck in a cut handler nor acts twice.
 */
class KafkaParticipant implements DrainParticipant {
  readonly name = 'Kafka microservice';
  readonly detach: () => void;
  private leaving?: Promise<unknown>;

  constructor(
    private readonly kafka: KafkaTransportLike,
    private readonly work: WorkTracker,
    private readonly ledger: DrainLedger,
  ) {
    this.detach = patchMethods(kafka, {
      handleMessage: (handleMessage) => (payload) => {
        const name = `Kafka ${payload.topic}[${payload.partition}] offset ${payload.message.offset}`;
        return this.tracked(name, () => handleMessage.call(kafka, payload));
      },
      sendMessage:
        (sendMessage) =>
        (...args) =>
          this.tracked('Kafka reply', () => sendMessage.apply(kafka, args)),
    });
  }

  stopAccepting(): string | void {
    const consumer = this.kafka.consumer;
    if (!consumer) return;
    const unit = new ConsumerLeaving();
    this.ledger.add(unit);
    this.leaving = consumer.stop().finally(() => this.ledger.end(unit));
    return `${this.name}: stopped fetching; it commits what its handlers finish, then leaves its consumer group`;
  }

  async closeRemaining(signal: AbortSignal): Promise<void> {
    const { consumer, producer } = this.kafka;
    this.kafka.consumer = this.kafka.producer = null;
    const closed = Promise.all([this.leaving, consumer?.disconnect(), producer?.disconnect()]);
    // A consumer whose handler was cut at the deadline never ends its stop(): kafkajs waits for that handler.
    await Promise.race([closed, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
  }

  private tracked<T>(name: string, run: () => Promise<T>): Promise<T> {
    const handle = this.work.begin(name, 'rpc');
    const result = asTransportUnit(run);
    result.then(handle.done, handle.done);
    return result;
  }
}

const serverDrain = microserviceDrain<KafkaTransportLike>(
  'Kafka',
  TRANSPORT.KAFKA,
  ['consumer', 'producer', 'handleMessage', 'sendMessage'],
  (kafka, { work, ledger }) => new KafkaParticipant(kafka, work, ledger),
);

/**
 * The start-up warning for a consumer whose stop may outlast the drain: an idle consumer's
 * `stop()` waits for the fetch it has at the broker, up to `maxWaitTimeInMs`, then commits and
 * leaves; cut at `stopTimeout`, the drain fails (exit 1) though nothing was lost.
 */
function slowLeave(kafka: KafkaTransportLike, stopTimeout: number): string[] {
  const over = consumerWaitOver(kafka.options?.consumer?.maxWaitTimeInMs, stopTimeout);
  if (!over) return [];
  // A shorter wait only costs an idle consumer more fetches: one a second at 1000 ms.
  const shorter = Math.min(1_000, stopTimeout - LEAVE_MARGIN_MS);
  const fix = shorter >= 100 ? `\`consumer: { maxWaitTimeInMs: ${shorter} }\` in the transport's options, or ` : '';
  return [
    `${describeTransport(kafka)}: stopTimeout (${stopTimeout} ms) is shorter than its consumer's maxWaitTimeInMs ` +
      `(${over.setting}) + ${LEAVE_MARGIN_MS} ms: an idle consumer's stop waits for its fetch at the broker, up to ` +
      `maxWaitTimeInMs, so a stop can end in exit 1 with nothing lost. Give ${fix}a stopTimeout of at least ` +
      `${over.needed} ms.`,
  ];
}

/** @internal ServerKafka's participants, and a warning for each consumer whose stop may outlast `stopTimeout`. */
export const kafkaDrain: TransportDrain = {
  ...serverDrain,
  detect: (context: DrainContext) => [
    ...serverDrain.detect(context),
    ...context.microservices
      .filter((server) => server.transportId === TRANSPORT.KAFKA)
      .flatMap((server) => slowLeave(server as KafkaTransportLike, context.stopTimeout)),
  ],
};
