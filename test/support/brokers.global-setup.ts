import { provideBinary, runToolScript } from './locate-tool';

/** The brokers the transport tests start: nats-server (built with Go), Debian's redis-server, rabbitmq-server and mosquitto. */
export default async function setup(): Promise<void> {
  await provideBinary('nats-server.sh', 'NATS_SERVER_BIN', 'nats-server');
  await runToolScript('broker-servers.sh', 'brokers');
}
