import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryFrom, freePort, freePorts, startServerProcess, type ServerProcess } from './server-process';

/** A broker started for a test on 127.0.0.1, stopped by PID. */
export interface Broker {
  /** The URL a client connects to (`nats://…`, `redis://…`, `amqp://…`, `mqtt://…`). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** `$NATS_SERVER_BIN`, else what `scripts/nats-server.sh` finds or builds from tools/nats. */
export function natsServerBinary(): string {
  return binaryFrom('NATS_SERVER_BIN', 'nats-server.sh');
}

/** Core NATS (no JetStream), as Nest's NATS transport uses it. */
export async function startNats(): Promise<Broker> {
  const port = await freePort();
  const server = await startServerProcess({
    name: 'nats-server',
    command: natsServerBinary(),
    args: ['-a', '127.0.0.1', '-p', String(port)],
    ready: /Server is ready/,
  });
  return { url: `nats://127.0.0.1:${port}`, port, stop: () => server.stop() };
}

/** Debian's redis-server (scripts/broker-servers.sh installs it), in memory only. */
export async function startRedis(): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-graceful-redis-'));
  const server = await startServerProcess({
    name: 'redis-server',
    command: 'redis-server',
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    ready: /Ready to accept connections/,
  });
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopAndRemove([server], dir) };
}

/**
 * Debian's mosquitto (scripts/broker-servers.sh installs it): one listener on 127.0.0.1,
 * anonymous clients, nothing persisted; its config in a temporary directory.
 */
export async function startMosquitto(): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-graceful-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join('\n'),
  );
  const server = await startServerProcess({
    name: 'mosquitto',
    command: mosquittoBinary(),
    args: ['-c', config],
    ready: /mosquitto version \S+ running/,
  });
  return { url: `mqtt://127.0.0.1:${port}`, port, stop: () => stopAndRemove([server], dir) };
}

/** Debian puts mosquitto in /usr/sbin, which a non-root PATH often lacks. */
function mosquittoBinary(): string {
  return existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
}

/**
 * Debian's rabbitmq-server (scripts/broker-servers.sh installs it), isolated: its own node
 * name, Mnesia and log directories, config and cookie in a temporary directory, its own
 * epmd (started here, so it is stopped by PID too) and distribution port, all on 127.0.0.1.
 * Run as root it runs the server script directly, not Debian's wrapper that switches user.
 */
export async function startRabbitMq(): Promise<Broker> {
  const [port, distPort, epmdPort] = await freePorts(3);
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-graceful-rabbitmq-'));
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), 'loopback_users = none\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const epmd = await startServerProcess({
    name: 'epmd',
    command: 'epmd',
    args: ['-port', String(epmdPort), '-address', '127.0.0.1'],
    readyPort: epmdPort,
  });
  const env: Record<string, string> = {
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: `rabbit-${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    // Without this the distribution listener binds every interface.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
  };
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      name: 'rabbitmq-server',
      command: '/usr/lib/rabbitmq/bin/rabbitmq-server',
      args: [],
      cwd: dir,
      env,
      ready: /Server startup complete/,
    });
  } catch (error) {
    await stopAndRemove([epmd], dir);
    throw error;
  }
  return { url: `amqp://guest:guest@127.0.0.1:${port}`, port, stop: () => stopAndRemove([server, epmd], dir) };
}

async function stopAndRemove(servers: ServerProcess[], dir: string): Promise<void> {
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
