import { Server as NetServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { StopSignals } from '../../src/drain/stop-signals.service';
import type { DrainContext } from '../../src/drain/transports/drain-participant.interface';
import type { TransportServerLike } from '../../src/drain/transports/nest-transports';
import { detectTransports } from '../../src/drain/transports/transport-drains';
import { WorkTracker } from '../../src/drain/work-tracker.service';

function context(
  microservices: object[],
  app: unknown = undefined,
  more: Partial<Pick<DrainContext, 'instances' | 'stopTimeout'>> = {},
): DrainContext {
  const ledger = new DrainLedger();
  return {
    app,
    microservices: microservices as TransportServerLike[],
    instances: more.instances ?? [],
    stopTimeout: more.stopTimeout ?? 10_000,
    teardownTimeout: 5_000,
    ledger,
    work: new WorkTracker(ledger),
    signals: new StopSignals(),
  };
}

const close = () => undefined;

describe('detectTransports', () => {
  it('names each microservice transport no participant drains, and says what happens to its work', () => {
    class InMemoryStrategy {
      close = close;
    }
    const { participants, problems } = detectTransports(context([new InMemoryStrategy()]));
    expect(participants).toEqual([]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^custom transport InMemoryStrategy has no drain participant: .*closed by Nest's teardown, not drained/,
      ),
    ]);
  });

  it('a transport whose server lacks a field its participant reads is named with the field, not skipped', () => {
    const nats = { transportId: 2, close, natsClient: null }; // no `subscriptions`: renamed by an upgrade
    const tcp = { transportId: 0, close, isManuallyTerminated: false, unwrap: () => ({}) }; // no net.Server
    const { participants, problems } = detectTransports(context([nats, tcp]));
    expect(participants).toEqual([]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^TCP microservice \(Transport\.TCP\) cannot be drained: its unwrap\(\) gave no net\.Server/,
      ),
      expect.stringMatching(
        /^NATS microservice \(Transport\.NATS\) cannot be drained: .*no subscriptions on its server .*not drained/,
      ),
    ]);
  });

  it('Socket.IO gateways behind a Nest whose socket module changed shape are named', () => {
    const { problems } = detectTransports(context([], { socketModule: {} }));
    expect(problems).toEqual([
      expect.stringMatching(/^Socket\.IO gateways cannot be drained: .*socketsContainer/),
      expect.stringMatching(/WebSocket gateways cannot be listed/),
    ]);
  });

  it('one participant per transport found, in list order; an app without gateways or microservices has none', () => {
    const tcpServer = new NetServer();
    const tcp = { transportId: 0, close, isManuallyTerminated: false, unwrap: () => tcpServer };
    const nats = { transportId: 2, close, natsClient: null, subscriptions: [] };
    const redis = { transportId: 1, close, subClient: null, pubClient: null };
    const rmq = { transportId: 5, close, channel: null, server: null };
    const found = detectTransports(context([rmq, redis, nats, tcp], { socketModule: null }));
    expect(found.problems).toEqual([]);
    expect(found.participants.map((p) => p.name)).toEqual([
      'TCP microservice',
      'NATS microservice',
      'Redis microservice',
      'RabbitMQ microservice',
    ]);
    for (const participant of found.participants) participant.detach?.();
    expect(tcpServer.listenerCount('connection')).toBe(0);
  });

  describe("a Kafka consumer whose stop may outlast stopTimeout (an idle one's waits for its fetch)", () => {
    const kafka = (consumer: object) => ({
      transportId: 6,
      close,
      consumer: null,
      producer: null,
      handleMessage: close,
      sendMessage: close,
      options: { consumer },
    });
    const problemsOf = (consumer: object, stopTimeout: number) => {
      const { participants, problems } = detectTransports(context([kafka(consumer)], undefined, { stopTimeout }));
      expect(participants.map((p) => p.name)).toEqual(['Kafka microservice']);
      for (const participant of participants) participant.detach?.();
      return problems;
    };

    it('is warned about at start-up, naming stopTimeout, maxWaitTimeInMs and both fixes', () => {
      expect(problemsOf({}, 3_000)).toEqual([
        "Kafka microservice (Transport.KAFKA): stopTimeout (3000 ms) is shorter than its consumer's maxWaitTimeInMs " +
          "(kafkajs' default 5000 ms) + 1000 ms: an idle consumer's stop waits for its fetch at the broker, up to " +
          'maxWaitTimeInMs, so a stop can end in exit 1 with nothing lost. Give ' +
          "`consumer: { maxWaitTimeInMs: 1000 }` in the transport's options, or a stopTimeout of at least 6000 ms.",
      ]);
      expect(problemsOf({ maxWaitTimeInMs: 2_000 }, 1_000)).toEqual([
        expect.stringMatching(
          /stopTimeout \(1000 ms\) .* maxWaitTimeInMs \(2000 ms\) .* Give a stopTimeout of at least 3000 ms/,
        ),
      ]);
    });

    it('is not warned about when stopTimeout covers the fetch and the leave', () => {
      expect(problemsOf({}, 10_000)).toEqual([]);
      expect(problemsOf({ maxWaitTimeInMs: 1_000 }, 2_000)).toEqual([]);
    });
  });
});
