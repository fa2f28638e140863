import { randomUUID } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { GracefulOptions } from '../../src';
import { brokerTransport, type BrokerKind, type Job, type WorkReply } from '../support/broker-app';
import { startMosquitto, startNats, startRabbitMq, startRedis } from '../support/broker-servers';
import { amqpQueue, brokerForSuite, replyClients } from '../support/broker-suite';
import { waitFor } from '../support/http-client';
import { mqttPeers } from '../support/mqtt-peer';
import { spawnProcess, type SpawnedProcess } from '../support/spawn-app';

/**
 * Real processes consuming real brokers, stopped by a real SIGTERM: what was in flight is
 * handled once (or left for redelivery), and what comes after phase 5 is left to others.
 */

const ROOT = `${__dirname}/../..`;
const N = 10;
/** A job's `ms` that holds its handler at the pool's gate (see FakeDbPool.slowQuery). */
const GATED = -1;
const ids = (count: number, from = 0) => Array.from({ length: count }, (_, i) => from + i);
/** The phase-5 log line: the consumers are stopped once it is printed. */
const CONSUMING_STOPPED = /microservice: stopped accepting/;
/** The end of phase 5, whatever it stopped. */
const PHASE_5_DONE = /close done in \d+ ms/;

interface Report {
  exitCode: number;
  drained: number;
  aborted: Array<{ kind: string; name: string }>;
  phases: Array<{ phase: string; ok: boolean }>;
}
const reportOf = (output: string): Report => {
  const match = /stop report (\{.*\})/.exec(output);
  if (!match) throw new Error(`no stop report in the output:\n${output}`);
  return JSON.parse(match[1]!) as Report;
};
/** How many times the process printed `EVENT <event> <id>`, by id. */
const eventCounts = (output: string, event: string): Map<number, number> => {
  const counts = new Map<number, number>();
  for (const [, id] of output.matchAll(new RegExp(`^EVENT ${event} (\\d+)$`, 'gm')))
    counts.set(Number(id), (counts.get(Number(id)) ?? 0) + 1);
  return counts;
};
const sorted = (keys: Iterable<number>) => [...keys].sort((a, b) => a - b);

const running = new Set<SpawnedProcess>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

/** The broker fixture app, started and consuming. */
async function startConsumer(config: { broker: BrokerKind; url: string; port: number } & Record<string, unknown>) {
  const app = await spawnProcess(process.execPath, [`${ROOT}/build/test/fixtures/broker-server.js`], {
    cwd: ROOT,
    env: { FIXTURE: JSON.stringify(config) },
    ready: /^CONSUMING$/,
  });
  running.add(app);
  return app;
}

const waitForEntered = async (app: SpawnedProcess, jobs: number[]) => {
  for (const id of jobs) await app.waitForLine(new RegExp(`^EVENT entered-job ${id}$`), 60_000);
};

/**
 * Opens the stopping instance's gate: the N requests it held are answered by it once each,
 * it exits 0 with them drained, and its pool is never queried after it closed.
 */
async function expectInFlightAnswered(stopping: SpawnedProcess, inFlight: Array<Promise<WorkReply>>): Promise<void> {
  stopping.kill('SIGUSR2');
  const replies = await Promise.all(inFlight);
  const { code } = await stopping.exited;
  expect(sorted(replies.map((r) => r.id))).toEqual(ids(N));
  expect(replies.every((r) => r.pid === stopping.proc.pid)).toBe(true);
  expect(code).toBe(0);
  const output = stopping.output();
  expect([...eventCounts(output, 'entered-job').entries()].sort(([a], [b]) => a - b)).toEqual(
    ids(N).map((id) => [id, 1]),
  );
  expect(eventCounts(output, 'finished-job').size).toBe(N);
  expect(output).toMatch(new RegExp(`EVENT db-closed queries=${N} `));
  expect(output).not.toMatch(/pool is closed/);
  expect(reportOf(output)).toMatchObject({ exitCode: 0, drained: N, aborted: [] });
}

// The stop may wait as long as a second instance takes to start on a busy machine: the
// handlers are held at a gate the test opens, never by a timer.
const patient: GracefulOptions = { stopTimeout: 120_000, gracePeriod: 150_000 };
/** Two app starts and a stop: beyond the default test timeout on a machine whose cores are busy. */
const SLOW = 180_000;

describe.each([
  { name: 'NATS', broker: 'nats' as const, start: startNats },
  { name: 'Redis', broker: 'redis' as const, start: startRedis },
])('$name request-reply in a real process stopped by SIGTERM', ({ broker: kind, start }) => {
  const suite = brokerForSuite(start, 120_000);
  const clientOf = replyClients();

  it(
    `answers the ${N} requests in flight once each and exits 0; a request after phase 5 is answered by another ` +
      `instance`,
    async () => {
      const config = { broker: kind, url: suite.broker.url, port: suite.broker.port, options: patient };
      const stopping = await startConsumer(config);
      const client = await clientOf(brokerTransport(kind, suite.broker));
      const send = (job: Job) => lastValueFrom(client.send<WorkReply>('work', job));

      const inFlight = ids(N).map((id) => send({ id, ms: GATED }));
      await waitForEntered(stopping, ids(N));
      stopping.kill('SIGTERM');
      await stopping.waitForLine(CONSUMING_STOPPED, 60_000);

      // Still draining (held at the gate), and no longer subscribed: the next request goes to another instance.
      const other = await startConsumer(config);
      const late = await send({ id: 100, ms: 0 });
      expect(late.pid).toBe(other.proc.pid);

      await expectInFlightAnswered(stopping, inFlight);

      other.kill('SIGTERM');
      expect((await other.exited).code).toBe(0);
      expect(eventCounts(other.output(), 'entered-job')).toEqual(new Map([[100, 1]]));
    },
    SLOW,
  );
});

describe('RabbitMQ with manual acknowledgements in a real process stopped by SIGTERM', () => {
  const suite = brokerForSuite(startRabbitMq, 180_000);
  const rmqConsumer = (queue: string, config: Record<string, unknown>) =>
    startConsumer({
      broker: 'rmq',
      url: suite.broker.url,
      port: suite.broker.port,
      queue,
      prefetchCount: N,
      ...config,
    });

  it(
    `acknowledges the ${N} messages in flight once each and exits 0; what is queued or published after phase 5 stays ` +
      `queued`,
    async () => {
      const queue = `jobs-${randomUUID()}`;
      const jobs = amqpQueue(suite.broker, queue);
      // N delivered at once (prefetch N) and held at the gate; 3 more wait in the queue.
      await jobs.publish(ids(N + 3).map((id) => ({ id, ms: GATED })));
      const app = await rmqConsumer(queue, { options: patient });
      await waitForEntered(app, ids(N));
      app.kill('SIGTERM');
      await app.waitForLine(CONSUMING_STOPPED, 60_000);

      await jobs.publish([{ id: 100, ms: 0 }]);
      // The consumer is cancelled: the 3 never delivered and the new one wait for another consumer.
      expect(await jobs.depth()).toBe(4);

      app.kill('SIGUSR2');
      const { code } = await app.exited;
      expect(code).toBe(0);
      const output = app.output();
      expect([...eventCounts(output, 'finished-job').entries()].sort(([a], [b]) => a - b)).toEqual(
        ids(N).map((id) => [id, 1]),
      );
      expect(sorted(eventCounts(output, 'entered-job').keys())).toEqual(ids(N));
      expect(reportOf(output)).toMatchObject({ exitCode: 0, drained: N, aborted: [] });
      expect(await jobs.takeAll()).toEqual([10, 11, 12, 100].map((id) => ({ id, redelivered: false })));
    },
    SLOW,
  );

  it(
    'at stopTimeout exits 1 naming the failed drain; the stuck message is requeued for redelivery, the others ' +
      'acknowledged',
    async () => {
      const queue = `jobs-${randomUUID()}`;
      const jobs = amqpQueue(suite.broker, queue);
      // Id 0 would take ten minutes; the others are held at a gate the stop opens (beforeStop).
      await jobs.publish(ids(N).map((id) => (id === 0 ? { id, ms: 600_000 } : { id, ms: GATED })));
      const app = await rmqConsumer(queue, { openGateOnStop: true, options: { stopTimeout: 3_000, abortGrace: 100 } });
      await waitForEntered(app, ids(N));
      app.kill('SIGTERM');
      const { code } = await app.exited;
      const output = app.output();
      expect(code).toBe(1);
      expect(sorted(eventCounts(output, 'finished-job').keys())).toEqual(ids(N - 1, 1));
      // The 9 finished at phase 2, before the drain; the stuck one, whose stream the interceptor completes at the
      // abort, is aborted.
      const report = reportOf(output);
      expect(report).toMatchObject({
        exitCode: 1,
        drained: 0,
        aborted: [{ kind: 'rpc', name: 'Consumer.job', ageMs: expect.any(Number) }],
      });
      expect(report.phases).toContainEqual(expect.objectContaining({ phase: 'drain', ok: false }));
      expect(output).toMatch(/aborted rpc Consumer\.job after \d+ ms/);
      expect(await jobs.takeAll()).toEqual([{ id: 0, redelivered: true }]);
    },
    SLOW,
  );
});

describe('MQTT (mosquitto, a shared subscription at QoS 1) in a real process stopped by SIGTERM', () => {
  const suite = brokerForSuite(startMosquitto, 60_000);
  const clientOf = replyClients();
  const peers = mqttPeers(suite);
  const mqttConsumer = (config: Record<string, unknown>) =>
    startConsumer({ broker: 'mqtt', url: suite.broker.url, port: suite.broker.port, ...config });

  it(
    `answers the ${N} requests in flight once each and exits 0; every request after phase 5 is answered by another ` +
      `instance`,
    async () => {
      const stopping = await mqttConsumer({ options: patient });
      const client = await clientOf(brokerTransport('mqtt', suite.broker));
      const send = (job: Job) => lastValueFrom(client.send<WorkReply>('work', job));

      const inFlight = ids(N).map((id) => send({ id, ms: GATED }));
      await waitForEntered(stopping, ids(N));
      stopping.kill('SIGTERM');
      await stopping.waitForLine(PHASE_5_DONE, 60_000);

      // Both in the shared subscription, mosquitto would hand them out in turn: all go to the other one.
      const other = await mqttConsumer({ options: patient });
      const late = await Promise.all(ids(N, 100).map((id) => send({ id, ms: 0 })));
      expect(late.map((r) => r.pid)).toEqual(Array(N).fill(other.proc.pid));

      await expectInFlightAnswered(stopping, inFlight);

      other.kill('SIGTERM');
      expect((await other.exited).code).toBe(0);
      expect(sorted(eventCounts(other.output(), 'entered-job').keys())).toEqual(ids(N, 100));
    },
    SLOW,
  );

  it(
    'at stopTimeout exits 1 naming the stuck handler; the others finish once, and events published after phase 5 go ' +
      'to the other member',
    async () => {
      const app = await mqttConsumer({ openGateOnStop: true, options: { stopTimeout: 3_000, abortGrace: 100 } });
      // Id 0 would take ten minutes; the others are held at a gate the stop opens (beforeStop).
      await peers.publish(
        ids(N).map((id) => (id === 0 ? { id, ms: 600_000 } : { id, ms: GATED })),
        1,
      );
      await waitForEntered(app, ids(N));
      const other = await peers.otherMember();
      app.kill('SIGTERM');
      await app.waitForLine(PHASE_5_DONE, 60_000);
      await peers.publish(
        ids(5, 100).map((id) => ({ id, ms: 0 })),
        1,
      );
      await waitFor(() => other.length === 5, 30_000, 'the other member to get the 5 late events');

      const { code } = await app.exited;
      const output = app.output();
      expect(code).toBe(1);
      expect(sorted(other)).toEqual(ids(5, 100));
      expect(sorted(eventCounts(output, 'entered-job').keys())).toEqual(ids(N));
      expect([...eventCounts(output, 'finished-job').entries()].sort(([a], [b]) => a - b)).toEqual(
        ids(N - 1, 1).map((id) => [id, 1]),
      );
      const report = reportOf(output);
      expect(report).toMatchObject({
        exitCode: 1,
        aborted: [{ kind: 'rpc', name: 'Consumer.job', ageMs: expect.any(Number) }],
      });
      expect(report.phases).toContainEqual(expect.objectContaining({ phase: 'drain', ok: false }));
      expect(output).toMatch(/aborted rpc Consumer\.job after \d+ ms/);
      expect(output).not.toMatch(/pool is closed/);
    },
    SLOW,
  );
});
