import { ClientKafka } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { StopSignals } from '../../src/drain/stop-signals.service';
import type { DrainParticipant } from '../../src/drain/transports/drain-participant.interface';
import { detectTransports } from '../../src/drain/transports/transport-drains';
import { WorkTracker } from '../../src/drain/work-tracker.service';

/** What the stubs below replace: ClientKafka's connection and its produce, so no broker is needed. */
interface ClientInternals {
  connect(): Promise<unknown>;
  dispatchEvent(packet: unknown): Promise<unknown>;
  dispatchBatchEvent(packets: unknown): Promise<unknown>;
  publish(packet: unknown, callback: (packet: { response?: unknown; isDisposed?: boolean }) => void): () => void;
}

/** A ClientKafka whose produce is settled by the test: `acks` holds one resolver pair per produce. */
function kafkaClient() {
  const client = new ClientKafka({ client: { brokers: ['127.0.0.1:1'] }, producerOnlyMode: true });
  const acks: Array<{ resolve(value: unknown): void; reject(error: Error): void }> = [];
  const replies: Array<(packet: { response?: unknown; isDisposed?: boolean }) => void> = [];
  const internals = client as unknown as ClientInternals;
  internals.connect = () => Promise.resolve({});
  internals.dispatchEvent = internals.dispatchBatchEvent = () =>
    new Promise((resolve, reject) => acks.push({ resolve, reject }));
  internals.publish = (_packet, callback) => {
    replies.push(callback);
    return () => undefined;
  };
  return { client, acks, replies };
}

function attach(instances: unknown[], teardownTimeout = 5_000) {
  const ledger = new DrainLedger();
  const context = {
    app: undefined,
    microservices: [],
    instances,
    stopTimeout: 10_000,
    teardownTimeout,
    ledger,
    work: new WorkTracker(ledger),
    signals: new StopSignals(),
  };
  const { participants, problems } = detectTransports(context);
  return { ledger, participants: participants.filter((p) => p.name === 'Kafka client'), problems };
}

/** Lets the produce's promise chain (connect, then dispatch) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Kafka clients (ClientKafka)', () => {
  it('are found once each: a ClientsModule provider, and a provider field set by @Client() or injected', () => {
    const registered = kafkaClient().client;
    const decorated = kafkaClient().client;
    const service = { registered, decorated, other: {} };
    const { participants, problems } = attach([registered, service, {}, null]);
    expect(problems).toEqual([]);
    expect(participants).toHaveLength(2);
    for (const participant of participants) participant.detach?.();
  });

  it('an emit is a unit until the broker acknowledged it, subscribed to or not; detach restores emit', async () => {
    const { client, acks } = kafkaClient();
    const { ledger, participants } = attach([client]);
    ledger.countFromNow();
    void client.emit('orders', { id: 1 });
    expect([...ledger.units()].map((unit) => [unit.kind, unit.name])).toEqual([['rpc', 'Kafka produce orders']]);
    await settle();
    expect(ledger.size).toBe(1);
    acks[0]!.resolve([]);
    await settle();
    expect(ledger.size).toBe(0);
    expect(ledger.drained).toBe(1);
    participants[0]!.detach?.();
    expect(Object.hasOwn(client, 'emit')).toBe(false);
  });

  it('an emit that fails during the stop is reported aborted: the message is lost', async () => {
    const { client, acks } = kafkaClient();
    const { ledger } = attach([client]);
    ledger.notify('draining', 'SIGTERM');
    void client.emitBatch('orders', { messages: [{ id: 1 }] });
    await settle();
    acks[0]!.reject(new Error('broker gone'));
    await settle();
    expect(ledger.size).toBe(0);
    expect(ledger.aborted).toEqual([expect.objectContaining({ kind: 'rpc', name: 'Kafka produce orders (batch)' })]);
  });

  it('a send is a unit from its subscription until its reply came', async () => {
    const { client, replies } = kafkaClient();
    const { ledger } = attach([client]);
    const request = client.send<number>('sum', [1, 2]);
    expect(ledger.size).toBe(0); // cold: nothing is produced before a subscription
    const reply = lastValueFrom(request);
    expect([...ledger.units()].map((unit) => unit.name)).toEqual(['Kafka request sum']);
    await settle();
    replies[0]!({ response: 3, isDisposed: true });
    await expect(reply).resolves.toBe(3);
    expect(ledger.size).toBe(0);
  });

  it('a produce begun after the drain ended is not tracked nor refused: the teardown hook awaits it itself', () => {
    const { client } = kafkaClient();
    const { ledger, participants } = attach([client]);
    expect(participants).toHaveLength(1);
    ledger.seal();
    void client.emit('orders', { id: 1 });
    expect(ledger.size).toBe(0);
    expect(ledger.aborted).toEqual([]);
  });

  it('a ClientKafka without the methods wrapped is named at start-up, not tracked', () => {
    class ClientKafka {
      emit() {}
    }
    const { participants, problems } = attach([new ClientKafka()]);
    expect(participants satisfies DrainParticipant[]).toEqual([]);
    expect(problems).toEqual([
      expect.stringMatching(/^Kafka client \(ClientKafka\) cannot be tracked: .*no emitBatch, send on it/),
    ]);
  });

  it('a client with a consumer whose close may outlast the teardown is named at start-up, with the fixes', () => {
    const withConsumer = (consumer: { maxWaitTimeInMs?: number } = {}) =>
      new ClientKafka({ client: { brokers: ['127.0.0.1:1'] }, consumer: { groupId: 'orders', ...consumer } });
    const { participants, problems } = attach([withConsumer()]);
    expect(participants).toHaveLength(1);
    expect(problems).toEqual([
      "Kafka client (ClientKafka) has a consumer (for send()'s replies): Nest's teardown closes it and waits for " +
        "its fetch at the broker, up to maxWaitTimeInMs (kafkajs' default 5000 ms) + 1000 ms, more than " +
        'teardownTimeout (5000 ms): every stop waits for it and one can end in exit 1 with nothing lost. Give the ' +
        'client `consumer: { maxWaitTimeInMs: 1000 }`, `producerOnlyMode: true` if the app never calls send(), or ' +
        'a teardownTimeout of at least 6000 ms.',
    ]);
    // Not for a short fetch wait, a teardown long enough, or a producer-only client (kafkaClient() above).
    expect(attach([withConsumer({ maxWaitTimeInMs: 1_000 })]).problems).toEqual([]);
    expect(attach([withConsumer()], 6_000).problems).toEqual([]);
    expect(attach([kafkaClient().client]).problems).toEqual([]);
  });
});
