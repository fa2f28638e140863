import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaAppConfig, KafkaAppMode, KafkaJob } from '../support/kafka-app';
import { kafkaBrokerBinary, startKafka, type KafkaBroker } from '../support/kafka-broker';
import { freePort } from '../support/server-process';
import { spawnProcess, type SpawnedProcess } from '../support/spawn-app';

/**
 * Two instances of a Kafka consumer app in one group, 3 partitions, one stopped by a real
 * SIGTERM: what it had in flight is handled once and committed, the rest goes to the other
 * instance, which gets the partitions when the stopping one leaves the group.
 */

const ROOT = `${__dirname}/../..`;
/** A job's `ms` that holds its handler at the pool's gate (FakeDbPool.slowQuery), opened by SIGUSR2. */
const GATED = -1;
const SLOW = 180_000;
/** The phase-5 line: the consumer fetches nothing more once it is printed. */
const STOPPED_FETCHING = /Kafka microservice: stopped fetching/;

interface Report {
  exitCode: number;
  drained: number;
  aborted: Array<{ kind: string; name: string }>;
}
const reportOf = (output: string): Report => {
  const match = /stop report (\{.*\})/.exec(output);
  if (!match) throw new Error(`no stop report in the output:\n${output}`);
  return JSON.parse(match[1]!) as Report;
};
/** `EVENT <event> <id> <pid>` lines of `output`: the ids, in order. */
const jobIds = (output: string, event: 'entered-job' | 'finished-job' | 'failed-job'): number[] =>
  [...output.matchAll(new RegExp(`^EVENT ${event} (\\d+) `, 'gm'))].map((match) => Number(match[1]));
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

const running = new Set<SpawnedProcess>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

let broker: KafkaBroker;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
beforeAll(async () => {
  broker = await startKafka(3);
  kafka = new Kafka({ clientId: 'kafka-process-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([admin?.disconnect(), producer?.disconnect()]);
  await broker?.stop();
});

/** A fresh topic of 3 partitions and a group of its own. */
async function freshTopic(): Promise<{ topic: string; groupId: string }> {
  const topic = `jobs-${randomUUID()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  return { topic, groupId: topic };
}

async function startConsumer(
  config: Omit<KafkaAppConfig, 'brokers'>,
  brokers = broker.brokers,
): Promise<SpawnedProcess> {
  const app = await spawnProcess(process.execPath, [`${ROOT}/build/test/fixtures/kafka-server.js`], {
    cwd: ROOT,
    env: { FIXTURE: JSON.stringify({ ...config, brokers }) },
    ready: /^CONSUMING /,
  });
  running.add(app);
  return app;
}

/** Sends one job to each partition: `ids[p]` to partition p. */
const sendToPartitions = (topic: string, jobs: KafkaJob[]) =>
  producer.send({ topic, messages: jobs.map((job, partition) => ({ partition, value: JSON.stringify(job) })) });

/**
 * Starts A, then B in the same group, and waits until A's rebalance gave B part of the partitions. B gets the
 * default options unless told: an idle consumer's stop waits for its fetch (up to 5 s), longer than a short
 * stopTimeout.
 */
async function twoInstances(
  mode: KafkaAppMode,
  topic: string,
  groupId: string,
  { a: aOptions, b: bOptions = {}, sessionTimeout }: { a: object; b?: object; sessionTimeout?: number },
) {
  const base = { mode, topic, groupId, sessionTimeout };
  const a = await startConsumer({ ...base, options: aOptions });
  const b = await startConsumer({ ...base, options: bOptions });
  const rebalanced = await a.waitForLine(/^EVENT assigned (?!0,1,2$)/, 60_000);
  const aPartitions = rebalanced
    .slice('EVENT assigned '.length)
    .split(',')
    .filter((p) => p !== 'none')
    .map(Number);
  return { a, b, aPartitions };
}

describe.each<KafkaAppMode>(['hybrid', 'standalone'])('a %s Kafka consumer stopped by a real SIGTERM', (mode) => {
  it(
    'handles and commits what it had in flight once; what comes after goes to the other instance, which gets the ' +
      'partitions when it leaves',
    async () => {
      const { topic, groupId } = await freshTopic();
      // Long session: the partitions can only move before it ends if the stopping instance leaves the group.
      const { a, b, aPartitions } = await twoInstances(mode, topic, groupId, {
        a: { stopTimeout: 120_000, gracePeriod: 150_000 },
        sessionTimeout: 60_000,
      });
      expect(aPartitions.length).toBeGreaterThan(0);
      await sendToPartitions(
        topic,
        [0, 1, 2].map((id) => ({ id, ms: GATED })),
      );
      const onA = aPartitions; // job id = partition
      for (const id of onA) await a.waitForLine(new RegExp(`^EVENT entered-job ${id} `), 60_000);

      a.kill('SIGTERM');
      await a.waitForLine(STOPPED_FETCHING, 60_000);
      // Sent while A still drains: A must not take them; B gets them once A left the group.
      await sendToPartitions(
        topic,
        [10, 11, 12].map((id) => ({ id, ms: 0 })),
      );
      b.kill('SIGUSR2');
      a.kill('SIGUSR2');
      const { code } = await a.exited;
      expect(code).toBe(0);
      for (const id of [10, 11, 12]) await b.waitForLine(new RegExp(`^EVENT finished-job ${id} `), 60_000);

      const aOut = a.output();
      expect(sorted(jobIds(aOut, 'entered-job'))).toEqual(onA);
      expect(sorted(jobIds(aOut, 'finished-job'))).toEqual(onA);
      expect(jobIds(aOut, 'failed-job')).toEqual([]);
      expect(aOut).toMatch(new RegExp(`EVENT db-closed queries=${onA.length} `));
      expect(reportOf(aOut)).toMatchObject({ exitCode: 0, drained: onA.length, aborted: [] });
      // A left the group: with a 60 s session, only B is a member right after A exited.
      const [group] = (await admin.describeGroups([`${groupId}-server`])).groups;
      expect(group!.members).toHaveLength(1);

      b.kill('SIGTERM');
      expect((await b.exited).code).toBe(0);
      // Every message handled exactly once over the two instances: A's committed offsets are not handled again by B.
      const onB = [0, 1, 2].filter((id) => !onA.includes(id));
      expect(sorted(jobIds(b.output(), 'finished-job'))).toEqual(sorted([...onB, 10, 11, 12]));
    },
    SLOW,
  );
});

describe('a Kafka handler stuck past stopTimeout', () => {
  it(
    'is reported aborted with exit 1, its offset is not committed, and the other instance handles its message again',
    async () => {
      const { topic, groupId } = await freshTopic();
      const { a, b, aPartitions } = await twoInstances('hybrid', topic, groupId, {
        a: { stopTimeout: 1_000, abortGrace: 100 },
        sessionTimeout: 6_000,
      });
      const stuck = aPartitions[0]!;
      b.kill('SIGUSR2'); // B's gate is open: the message, delivered again, finishes there
      await sendToPartitions(
        topic,
        [0, 1, 2].map((id) => ({ id, ms: GATED })),
      );
      await a.waitForLine(new RegExp(`^EVENT entered-job ${stuck} `), 60_000);

      a.kill('SIGTERM');
      const { code } = await a.exited;
      expect(code).toBe(1);
      // Warned at start-up: an idle consumer's stop alone may take kafkajs' 5 s fetch wait.
      expect(a.output()).toMatch(/stopTimeout \(1000 ms\) is shorter than its consumer's maxWaitTimeInMs \(kafkajs'/);
      const report = reportOf(a.output());
      expect(report.exitCode).toBe(1);
      expect(report.aborted).toContainEqual(
        expect.objectContaining({
          kind: 'rpc',
          name: expect.stringMatching(`^Kafka ${topic}\\[${stuck}\\] offset 0$`),
        }),
      );
      expect(jobIds(a.output(), 'finished-job')).not.toContain(stuck);
      // A never committed it: once its session ended, B is given the partition from the stuck offset.
      await b.waitForLine(new RegExp(`^EVENT finished-job ${stuck} `), 120_000);
      b.kill('SIGTERM');
      expect((await b.exited).code).toBe(0);
    },
    SLOW,
  );
});

/** Reads `count` messages of `topic` from its beginning, in a group of its own: the `id` of each. */
async function readIds(client: Kafka, topic: string, count: number): Promise<number[]> {
  const consumer = client.consumer({ groupId: `check-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const ids: number[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        ids.push((JSON.parse(message.value!.toString()) as { id: number }).id);
        if (ids.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return ids;
}

describe('a ClientKafka produce in flight when a real SIGTERM arrives', () => {
  it(
    'is waited for by the drain: the message is in its topic, acknowledged before teardown, and the stop exits 0',
    async () => {
      // kfake itself, whatever KAFKA_BROKERS says: it holds the Metadata request that a producer's first
      // produce to a `held-` topic waits for, until SIGUSR1, so the produce is in flight for as long as needed.
      const port = await freePort();
      const kfake = await spawnProcess(kafkaBrokerBinary(), ['-port', String(port), '-hold-metadata', 'held-'], {
        cwd: ROOT,
        ready: /^listening /,
      });
      running.add(kfake);
      const brokers = [`127.0.0.1:${port}`];
      const topic = `jobs-${randomUUID()}`;
      const forwardTo = `held-${randomUUID()}`;
      const app = await startConsumer(
        { mode: 'hybrid', topic, groupId: topic, forwardTo, options: { stopTimeout: 60_000, gracePeriod: 90_000 } },
        brokers,
      );
      const client = new Kafka({ clientId: 'kafka-client-test', brokers, logLevel: logLevel.NOTHING });
      const jobs = client.producer();
      await jobs.connect();
      await jobs.send({ topic, messages: [{ value: JSON.stringify({ id: 7, ms: 0 }) }] });
      // The handler emitted through both clients, without waiting, and finished: no handler holds the drain.
      await app.waitForLine(/^EVENT forwarded-job 7 /, 60_000);
      await app.waitForLine(/^EVENT finished-job 7 /);
      await kfake.waitForLine(/^holding metadata held-/, 60_000);

      app.kill('SIGTERM');
      // Once the consumer left its group, the two produces are all the drain waits for.
      await app.waitForLine(/draining 2 unit\(s\) \(rpc 2\)/, 60_000);
      kfake.kill('SIGUSR1');
      const { code } = await app.exited;
      expect(code).toBe(0);
      expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 2, aborted: [] });
      await jobs.disconnect();
      // From ClientsModule.register() (7) and from the @Client() property (-7).
      expect(sorted(await readIds(client, forwardTo, 2))).toEqual([-7, 7]);
    },
    SLOW,
  );
});
