import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { join } from 'node:path';
import { envInt, loadAverage } from './bench-env';
import { median } from './median';
import type { KafkaAppMode } from '../test/support/kafka-app';
import { startKafka } from '../test/support/kafka-broker';
import { spawnProcess, type SpawnedProcess } from '../test/support/spawn-app';

/**
 * `npm run bench:kafka`: a rolling restart of 3 Kafka consumers (one group, 6 partitions)
 * under a steady produce rate, on franz-go's kfake (or KAFKA_BROKERS), side by side in one run:
 * - nestjs-graceful: a hybrid app with GracefulModule (test/support/kafka-app.ts);
 * - plain Nest: the same app with `enableShutdownHooks()`.
 * Each handler works `KAFKA_WORK_MS` then queries a pool closed in onModuleDestroy. Surge
 * first: a replacement joins the group before its old instance gets SIGTERM. Reported per
 * variant: messages lost (never handled, or handled on the closed pool), handled twice, the
 * longest time a partition went unconsumed while messages waited (also in heartbeat intervals
 * of the consumers that stay: a stop's rebalance reaches them at their next heartbeat, then
 * they rejoin, so one interval plus a rejoin is the floor), and the stop times.
 * Env: KAFKA_ROUNDS (2), KAFKA_RATE (100 messages/s), KAFKA_WORK_MS (20).
 */
const ROUNDS = envInt('KAFKA_ROUNDS', 2);
const RATE = envInt('KAFKA_RATE', 100);
const WORK_MS = envInt('KAFKA_WORK_MS', 20);
const PARTITIONS = 6;
const HEARTBEAT_MS = 500;
const FIXTURE = join(__dirname, '..', 'test', 'fixtures', 'kafka-server.js');

interface Handled {
  id: number;
  pid: number;
  partition: number;
  at: number;
}

interface Run {
  variant: string;
  sent: number;
  lost: number;
  onClosedPool: number;
  twice: number;
  /** The longest a partition's next message waited, over the whole run (replacements joining included). */
  maxGapMs: number;
  /** The same, over the waits that overlap a stop (SIGTERM to 1 s after the exit). */
  maxStopGapMs: number;
  stopMs: number[];
  exits: string[];
}

async function rollingRestart(brokers: string[], mode: KafkaAppMode, round: number): Promise<Run> {
  const topic = `orders-${mode}-${round}-${Date.now()}`;
  const kafka = new Kafka({ clientId: 'bench-kafka', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();

  const handled: Handled[] = [];
  const failed = new Set<number>();
  const start = async (): Promise<SpawnedProcess> => {
    const config = {
      mode,
      brokers,
      topic,
      groupId: topic,
      heartbeatInterval: HEARTBEAT_MS,
      options: { stopTimeout: 20_000 },
    };
    const app = await spawnProcess(process.execPath, [FIXTURE], {
      cwd: __dirname,
      env: { FIXTURE: JSON.stringify(config) },
      ready: /^CONSUMING /,
      readyTimeoutMs: 120_000,
    });
    let seen = 0;
    const read = () => {
      const lines = app.output().split('\n');
      for (; seen < lines.length - 1; seen++) {
        const entered = /^EVENT entered-job (\d+) (\d+) (\d+)$/.exec(lines[seen]!);
        const fail = /^EVENT failed-job (\d+) /.exec(lines[seen]!);
        if (entered)
          handled.push({
            id: Number(entered[1]),
            pid: Number(entered[2]),
            partition: Number(entered[3]),
            at: performance.now(),
          });
        if (fail) failed.add(Number(fail[1]));
      }
    };
    app.proc.stdout!.on('data', read);
    read();
    return app;
  };

  const fleet = [await start(), await start(), await start()];
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let sent = 0;
  const sendTimes = new Map<number, { partition: number; at: number }>();
  const ticker = setInterval(() => {
    const id = sent++;
    const partition = id % PARTITIONS;
    sendTimes.set(id, { partition, at: performance.now() });
    void producer.send({ topic, messages: [{ partition, value: JSON.stringify({ id, ms: WORK_MS }) }] });
  }, 1_000 / RATE);

  const stopMs: number[] = [];
  const exits: string[] = [];
  const stops: Array<[number, number]> = [];
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  for (let i = 0; i < 3; i++) {
    const replacement = await start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const old = fleet.shift()!;
    const stopAt = performance.now();
    old.kill('SIGTERM');
    const { code, signal } = await old.exited;
    stopMs.push(Math.round(performance.now() - stopAt));
    stops.push([stopAt, performance.now() + 1_000]);
    exits.push(String(code ?? signal));
    fleet.push(replacement);
  }
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  clearInterval(ticker);
  // Everything sent is handled by the fleet left, or is lost: wait until the counts stop moving.
  for (let last = -1; last !== handled.length;) {
    last = handled.length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
  await producer.disconnect();
  await Promise.all(fleet.map(async (app) => (app.kill('SIGTERM'), app.exited)));

  const counts = new Map<number, number>();
  for (const { id } of handled) counts.set(id, (counts.get(id) ?? 0) + 1);
  const lost = [...sendTimes.keys()].filter((id) => !counts.has(id)).length;
  return {
    variant: mode === 'plain' ? 'plain Nest' : 'nestjs-graceful',
    sent,
    lost,
    onClosedPool: failed.size,
    twice: [...counts.values()].filter((n) => n > 1).length,
    maxGapMs: maxGap(handled, sendTimes, [[0, Infinity]]),
    maxStopGapMs: maxGap(handled, sendTimes, stops),
    stopMs,
    exits,
  };
}

/**
 * The longest a partition waited: from a message's send (or the previous message of its
 * partition being handled, whichever is later) until it was handled, over the first handling
 * of each message, counting only the waits that overlap one of `windows`.
 */
function maxGap(
  handled: Handled[],
  sent: Map<number, { partition: number; at: number }>,
  windows: Array<[number, number]>,
): number {
  const firstAt = new Map<number, number>();
  for (const { id, at } of handled) if (!firstAt.has(id)) firstAt.set(id, at);
  const lastByPartition = new Map<number, number>();
  let max = 0;
  for (const [id, { partition, at: sentAt }] of [...sent].sort(([a], [b]) => a - b)) {
    const at = firstAt.get(id);
    if (at === undefined) continue;
    const from = Math.max(sentAt, lastByPartition.get(partition) ?? sentAt);
    if (windows.some(([start, end]) => from < end && at > start)) max = Math.max(max, at - from);
    lastByPartition.set(partition, Math.max(at, lastByPartition.get(partition) ?? 0));
  }
  return Math.round(max);
}

/** `560 ms (1.12 heartbeats)`: a partition wait beside the interval it is bounded by. */
const inHeartbeats = (ms: number) => `${ms} ms (${(ms / HEARTBEAT_MS).toFixed(2)} heartbeats)`;

async function main(): Promise<void> {
  const broker = await startKafka(PARTITIONS);
  console.log(
    `bench:kafka: ${ROUNDS} round(s), ${RATE} messages/s, ${WORK_MS} ms per handler, ${PARTITIONS} partitions, ` +
      `heartbeat ${HEARTBEAT_MS} ms; load average ${loadAverage()}`,
  );
  const runs: Run[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of ['hybrid', 'plain'] as const) {
        const run = await rollingRestart(broker.brokers, mode, round);
        runs.push(run);
        const wait = inHeartbeats(run.maxStopGapMs);
        console.log(
          `round ${round} ${run.variant}: sent ${run.sent}, lost ${run.lost}, on the closed pool ` +
            `${run.onClosedPool}, twice ${run.twice}, longest partition wait ${wait} around the stops ` +
            `(${run.maxGapMs} ms overall), stops ${run.stopMs.join('/')} ms, exits ${run.exits.join('/')}`,
        );
      }
    }
  } finally {
    await broker.stop();
  }
  console.log(
    '\n| variant | sent | lost | handled on the closed pool | handled twice | longest partition wait around a stop | ' +
      'overall (joins too) | stop (median) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const variant of ['nestjs-graceful', 'plain Nest']) {
    const mine = runs.filter((run) => run.variant === variant);
    const sum = (pick: (run: Run) => number) => mine.reduce((total, run) => total + pick(run), 0);
    console.log(
      `| ${variant} | ${sum((r) => r.sent)} | ${sum((r) => r.lost)} | ${sum((r) => r.onClosedPool)} | ` +
        `${sum((r) => r.twice)} | ${inHeartbeats(Math.max(...mine.map((r) => r.maxStopGapMs)))} | ` +
        `${Math.max(...mine.map((r) => r.maxGapMs))} ms | ${median(mine.flatMap((r) => r.stopMs))} ms |`,
    );
  }
  console.log(`load average after: ${loadAverage()}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
