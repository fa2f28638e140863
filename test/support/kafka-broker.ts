import { binaryFrom, freePort, startServerProcess } from './server-process';

/** A Kafka-protocol broker for a test: `brokers` is what kafkajs' `brokers` option takes. */
export interface KafkaBroker {
  readonly brokers: string[];
  /** Stops the broker this test started (by PID); does nothing to one named by KAFKA_BROKERS. */
  stop(): Promise<void>;
}

/** `$KAFKA_BROKER_BIN`, else what `scripts/kafka-broker.sh` finds or builds from tools/kafka. */
export function kafkaBrokerBinary(): string {
  return binaryFrom('KAFKA_BROKER_BIN', 'kafka-broker.sh');
}

/**
 * franz-go's kfake (tools/kafka) on a free 127.0.0.1 port, topics made on first use with
 * `partitions` partitions; or, when `KAFKA_BROKERS` is set (`host:port,…`), that real Kafka,
 * left running. CI uses kfake: there is no Kafka package for Debian and no Java registry.
 */
export async function startKafka(partitions = 3): Promise<KafkaBroker> {
  const external = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
  if (external?.length) return { brokers: external, stop: async () => undefined };
  return startKfake(partitions);
}

/** kfake itself, whatever KAFKA_BROKERS says. */
export async function startKfake(partitions = 3): Promise<KafkaBroker> {
  const port = await freePort();
  const server = await startServerProcess({
    name: 'kfake-broker',
    command: kafkaBrokerBinary(),
    args: ['-port', String(port), '-partitions', String(partitions)],
    ready: /^listening /m,
  });
  return { brokers: [`127.0.0.1:${port}`], stop: () => server.stop() };
}
