import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startKafka, startKfake, type KafkaBroker } from '../support/kafka-broker';
import { tryConnect } from '../support/server-process';

describe('the Kafka-protocol broker the Kafka tests start (kfake, or KAFKA_BROKERS)', () => {
  let broker: KafkaBroker | undefined;
  const consumers: Consumer[] = [];
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.disconnect()));
    await broker?.stop();
    broker = undefined;
  });

  it('delivers each message of a 3-partition topic once to a group of two kafkajs consumers', async () => {
    broker = await startKafka(3);
    const kafka = new Kafka({ clientId: 'smoke', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const topic = `smoke-${process.pid}-${Date.now()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const seen = new Map<string, number[]>();
    let total = 0;
    let allSeen!: () => void;
    const done = new Promise<void>((resolve) => (allSeen = resolve));
    for (const index of [0, 1]) {
      const consumer = kafka.consumer({ groupId: topic });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.value!.toString();
          seen.set(key, [...(seen.get(key) ?? []), index]);
          if (++total === 30) allSeen();
        },
      });
    }
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })) });
    await producer.disconnect();
    await done;
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    expect([...seen.values()].every((by) => by.length === 1)).toBe(true);
  });

  it('kfake is gone from its port after stop', async () => {
    broker = await startKfake();
    const port = Number(broker.brokers[0]!.split(':')[1]);
    expect(await tryConnect(port)).toBe('connected');
    await broker.stop();
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  });
});
