import { provideBinary, runToolScript } from './locate-tool';

/**
 * The brokers the transport tests start: nats-server and kfake-broker (built with Go), Debian's
 * redis-server, rabbitmq-server and mosquitto.
 */
export default async function setup(): Promise<void> {
  await provideBinary('nats-server.sh', 'NATS_SERVER_BIN', 'nats-server');
  await provideBinary('kafka-broker.sh', 'KAFKA_BROKER_BIN', 'kfake-broker');
  await runToolScript('broker-servers.sh', 'brokers');
}
