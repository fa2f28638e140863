import { Observable } from 'rxjs';
import type { DrainLedger } from '../drain-ledger.js';
import type { WorkTracker } from '../work-tracker.service.js';
import type { WorkHandle } from '../work-unit.interface.js';
import type { DrainContext, DrainParticipant, TransportDrain } from './drain-participant.interface.js';
import { consumerWaitOver, LEAVE_MARGIN_MS } from './kafka-timing.js';
import { patchMethods } from './method-patch.js';

type Produce = (pattern: unknown, data: unknown) => Observable<unknown>;

/** The public methods of Nest's ClientKafka that produce: wrapped on each client found. */
const PRODUCING = ['emit', 'emitBatch', 'send'] as const;

type KafkaClientLike = Record<(typeof PRODUCING)[number], Produce>;

/** Nest's ClientKafka, or a subclass: matched by class name, since @nestjs/microservices is not a dependency. */
function isKafkaClient(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  for (let proto = Object.getPrototypeOf(value) as object | null; proto; proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto, 'constructor') && (proto.constructor as { name?: string }).name === 'ClientKafka') {
      return true;
    }
  }
  return false;
}

/**
 * The ClientKafka instances among `instances` and their own fields: a `ClientsModule`
 * provider, a client an app's provider keeps in a field (`ClientProxyFactory.create()`, an
 * injected one), and a `@Client()` property (Nest sets it on the instance), each once.
 */
function kafkaClients(instances: readonly unknown[]): object[] {
  const found = new Set<object>();
  for (const instance of instances) {
    if (isKafkaClient(instance)) found.add(instance);
    else if (typeof instance === 'object' && instance !== null) {
      let fields: PropertyDescriptor[];
      try {
        // Descriptors, not values: reading a field never runs a getter of the app's.
        fields = Object.values(Object.getOwnPropertyDescriptors(instance));
      } catch {
        continue; // a Proxy whose trap throws: none of its fields can be read without it
      }
      for (const field of fields) if (isKafkaClient(field.value)) found.add(field.value);
    }
  }
  return [...found];
}

/** How the ledger names a pattern: Kafka's topic for a string, the pattern's JSON otherwise. */
const topicOf = (pattern: unknown) => (typeof pattern === 'string' ? pattern : JSON.stringify(pattern));

/**
 * A Kafka producer of the app (Nest's ClientKafka). Each `emit()` and `emitBatch()` is a unit
 * until the broker acknowledged the produce (the observable they return completes then; it
 * is hot, so it produces whether or not the app subscribes): the drain waits for it, so Nest's
 * teardown (ClientsModule closes the client in `onApplicationShutdown`) and the process's exit
 * never cut it. A produce that fails during the stop is lost: it ends as aborted (exit 1). Each
 * `send()` is a unit from its subscription until its reply came, it failed (the caller gets the
 * error) or the caller unsubscribed. Work begun after the drain ended (in `onModuleDestroy`) is
 * not tracked: the hook awaits it itself.
 */
class KafkaClientParticipant implements DrainParticipant {
  readonly name = 'Kafka client';
  readonly detach: () => void;

  constructor(
    client: KafkaClientLike,
    private readonly work: WorkTracker,
    private readonly ledger: DrainLedger,
  ) {
    this.detach = patchMethods(client, {
      emit: (emit) => (pattern, data) =>
        this.produced(`Kafka produce ${topicOf(pattern)}`, emit.call(client, pattern, data)),
      emitBatch: (emitBatch) => (pattern, data) =>
        this.produced(`Kafka produce ${topicOf(pattern)} (batch)`, emitBatch.call(client, pattern, data)),
      send: (send) => (pattern, data) =>
        this.requested(`Kafka request ${topicOf(pattern)}`, send.call(client, pattern, data)),
    });
  }

  /** The client keeps producing through the drain: the handlers still running may need it. */
  stopAccepting(): void {}

  private produced(name: string, produce: Observable<unknown>): Observable<unknown> {
    const unit = this.begin(name);
    if (unit) produce.subscribe({ complete: unit.done, error: unit.abandon });
    return produce;
  }

  private requested(name: string, request: Observable<unknown>): Observable<unknown> {
    return new Observable((subscriber) => {
      const unit = this.begin(name);
      const subscription = request.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          unit?.done();
          subscriber.error(error);
        },
        complete: () => {
          unit?.done();
          subscriber.complete();
        },
      });
      return () => {
        unit?.done();
        subscription.unsubscribe();
      };
    });
  }

  private begin(name: string): WorkHandle | undefined {
    return this.ledger.sealed ? undefined : this.work.begin(name, 'rpc');
  }
}

/** The start-up warning for a client whose methods an upgrade changed. */
const untracked = (missing: string[]) =>
  `Kafka client (ClientKafka) cannot be tracked: this @nestjs/microservices has no ${missing.join(', ')} on it ` +
  '(renamed by an upgrade?). A produce in flight when the stop begins is not waited for: Nest closes the client in ' +
  'its teardown, or the process exits, under it.';

/** What is read of a ClientKafka's settings (fields of Nest 11 and 12's ClientKafka). */
interface KafkaClientSettings {
  producerOnlyMode?: unknown;
  options?: { consumer?: { maxWaitTimeInMs?: number } };
}

/**
 * The start-up warning for a client whose close may outlast Nest's teardown: unless in
 * `producerOnlyMode`, a ClientKafka has a consumer for `send()`'s replies, and closing it waits
 * for the fetch it has at the broker (measured: an idle one's close took 3 s of a 5 s teardown).
 */
function slowClose(client: KafkaClientSettings, teardownTimeout: number): string[] {
  if (client.producerOnlyMode !== false) return [];
  const over = consumerWaitOver(client.options?.consumer?.maxWaitTimeInMs, teardownTimeout);
  if (!over) return [];
  return [
    `Kafka client (ClientKafka) has a consumer (for send()'s replies): Nest's teardown closes it and waits for its ` +
      `fetch at the broker, up to maxWaitTimeInMs (${over.setting}) + ${LEAVE_MARGIN_MS} ms, more than ` +
      `teardownTimeout (${teardownTimeout} ms): every stop waits for it and one can end in exit 1 with nothing ` +
      `lost. Give the client \`consumer: { maxWaitTimeInMs: 1000 }\`, \`producerOnlyMode: true\` if the app never ` +
      `calls send(), or a teardownTimeout of at least ${over.needed} ms.`,
  ];
}

/** @internal Every ClientKafka the app holds at bootstrap: its produces are units of the drain. */
export const kafkaClientDrain: TransportDrain = {
  transport: 'Kafka client',
  detect: ({ instances, work, ledger, teardownTimeout }: DrainContext) =>
    kafkaClients(instances).flatMap((client) => {
      const missing = PRODUCING.filter((method) => typeof (client as Partial<KafkaClientLike>)[method] !== 'function');
      if (missing.length > 0) return [untracked(missing)];
      return [
        new KafkaClientParticipant(client as KafkaClientLike, work, ledger),
        ...slowClose(client as KafkaClientSettings, teardownTimeout),
      ];
    }),
};
