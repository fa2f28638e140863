import { randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import { brokerTransport, createBrokerApp, type WorkReply } from '../support/broker-app';
import { startMosquitto, startNats, startRabbitMq, startRedis } from '../support/broker-servers';
import { amqpQueue, brokerForSuite, replyClients } from '../support/broker-suite';
import { waitFor } from '../support/http-client';
import { mqttPeers } from '../support/mqtt-peer';

const base: GracefulOptions = { exit: false, signals: [], advertiseHost: '127.0.0.1', stopTimeout: 5_000 };
const ids = (count: number, from = 0) => Array.from({ length: count }, (_, i) => from + i);
const sorted = (keys: Iterable<number>) => [...keys].sort((a, b) => a - b);
/** Held at the pool's gate until the test opens it (FakeDbPool.slowQuery). */
const GATED = -1;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Resolves once the stop sequence logged the end of phase 5: what ends from then on counts as drained. */
function whenListenersClosed(): () => Promise<void> {
  const lines: string[] = [];
  const log = Logger.prototype.log;
  vi.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message: unknown, ...rest: unknown[]) {
    lines.push(String(message));
    return log.call(this, message, ...rest);
  });
  return () => waitFor(() => lines.some((line) => /^close done in \d+ ms/.test(line)), 10_000, 'phase 5');
}

describe.each([
  { name: 'NATS', broker: 'nats' as const, start: startNats },
  { name: 'Redis', broker: 'redis' as const, start: startRedis },
])('$name request-reply: messages in flight when the stop begins', ({ broker: kind, start }) => {
  const suite = brokerForSuite(start, 120_000);
  const clientOf = replyClients();

  it('all get their reply, each handled exactly once; the consumer stops before the pool closes', async () => {
    const options = brokerTransport(kind, suite.broker);
    const { app, consumed, db } = await createBrokerApp(options, base);
    const client = await clientOf(options);
    const listenersClosed = whenListenersClosed();
    const replies = ids(20).map((id) => lastValueFrom(client.send<WorkReply>('work', { id, ms: GATED })));
    await waitFor(() => consumed.entered.size === 20, 10_000, '20 handlers');
    const closing = app.close();
    // Released once the consumer stopped, so that all 20 end during the drain.
    await listenersClosed();
    db.open();
    await closing;
    expect((await Promise.all(replies)).map((r) => r.id)).toEqual(ids(20));
    expect([...consumed.entered.values()]).toEqual(Array(20).fill(1));
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(app.get(GracefulLifecycle).report).toMatchObject({ exitCode: 0, drained: 20, aborted: [] });
  });
});

describe('RabbitMQ with manual acknowledgements: messages in flight when the stop begins', () => {
  const suite = brokerForSuite(startRabbitMq, 180_000);

  it(
    'those that finish are acknowledged once; the one aborted at ' +
      'stopTimeout and those never delivered stay queued',
    async () => {
      const queue = `jobs-${randomUUID()}`;
      const jobs = amqpQueue(suite.broker, queue);
      // 10 delivered at once (prefetch 10): 9 held at the gate, id 0 would take a minute; 5 wait in the queue.
      await jobs.publish(ids(15).map((id) => ({ id, ms: id === 0 ? 60_000 : GATED })));

      const listenersClosed = whenListenersClosed();
      const { app, consumed, db } = await createBrokerApp(
        brokerTransport('rmq', suite.broker, { queue, prefetchCount: 10 }),
        {
          ...base,
          stopTimeout: 2_000,
          abortGrace: 100,
        },
      );
      await waitFor(() => consumed.entered.size === 10, 20_000, '10 handlers');
      const closing = app.close();
      await listenersClosed();
      db.open();
      await closing;

      expect([...consumed.finished.keys()].sort((a, b) => a - b)).toEqual(ids(9, 1));
      // The interceptor completes the stuck handler's stream at the abort: it is still reported as aborted.
      expect(app.get(GracefulLifecycle).report).toMatchObject({
        exitCode: 1,
        drained: 9,
        aborted: [expect.objectContaining({ kind: 'rpc', name: 'Consumer.job' })],
        phases: expect.arrayContaining([expect.objectContaining({ phase: 'drain', ok: false })]),
      });
      expect(await jobs.takeAll()).toEqual([
        { id: 0, redelivered: true },
        ...[10, 11, 12, 13, 14].map((id) => ({ id, redelivered: false })),
      ]);
    },
  );
});

describe('MQTT (mosquitto, a shared subscription at QoS 1): messages in flight when the stop begins', () => {
  const suite = brokerForSuite(startMosquitto, 60_000);
  const clientOf = replyClients();
  const peers = mqttPeers(suite);

  it(
    'all get their reply, each handled once; what is published after phase 5 goes to the other member, none to the ' +
      'closing pool',
    async () => {
      const options = brokerTransport('mqtt', suite.broker);
      const { app, consumed, db } = await createBrokerApp(options, base);
      const client = await clientOf(options);
      const listenersClosed = whenListenersClosed();
      const replies = ids(10).map((id) => lastValueFrom(client.send<WorkReply>('work', { id, ms: GATED })));
      await waitFor(() => consumed.entered.size === 10, 10_000, '10 handlers');
      const other = await peers.otherMember();
      const closing = app.close();
      await listenersClosed();
      // Unsubscribed: mosquitto hands every later message to the group's other member.
      await peers.publish(
        ids(20, 100).map((id) => ({ id, ms: 0 })),
        1,
      );
      await waitFor(() => other.length === 20, 10_000, 'the other member to get 20');
      db.open();
      await closing;
      expect((await Promise.all(replies)).map((r) => r.id)).toEqual(ids(10));
      expect(other.sort((a, b) => a - b)).toEqual(ids(20, 100));
      expect([...consumed.entered.entries()].sort(([a], [b]) => a - b)).toEqual(ids(10).map((id) => [id, 1]));
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(app.get(GracefulLifecycle).report).toMatchObject({ exitCode: 0, drained: 10, aborted: [] });
    },
  );

  it(
    'a handler stuck past stopTimeout is aborted (exit code ' + '1) and the client is ended before the pool closes',
    async () => {
      const options = brokerTransport('mqtt', suite.broker);
      const { app, consumed, db } = await createBrokerApp(options, { ...base, stopTimeout: 1_000, abortGrace: 100 });
      const ended = new Promise<number>((resolve) => app.on('end', () => resolve(performance.now())));
      await peers.publish([{ id: 0, ms: 60_000 }, ...ids(4, 1).map((id) => ({ id, ms: GATED }))], 1);
      await waitFor(() => consumed.entered.size === 5, 10_000, '5 handlers');
      const listenersClosed = whenListenersClosed();
      const closing = app.close();
      await listenersClosed();
      db.open();
      await closing;
      expect(sorted(consumed.finished.keys())).toEqual(ids(4, 1));
      expect(app.get(GracefulLifecycle).report).toMatchObject({
        exitCode: 1,
        drained: 4,
        aborted: [expect.objectContaining({ kind: 'rpc', name: 'Consumer.job' })],
      });
      expect(await ended).toBeLessThan(db.closedAt!);
    },
  );
});
