import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { Server } from 'node:net';
import { binaryFrom, listenOnServerPort, spawnServer } from './server-process';

/** A real `consul agent -dev` on 127.0.0.1, every port its own, for integration tests. */
export interface ConsulAgent {
  /** `HOST:PORT` of the HTTP API (HOST is 127.0.0.1 unless started with `host`). */
  readonly httpAddr: string;
  /** `http://HOST:PORT`. */
  readonly url: string;
  readonly ports: Readonly<ConsulPorts>;
  /** PID of the running agent process (changes on restart). */
  readonly pid: number;
  /** The management token when started with `acl`. */
  readonly masterToken: string | undefined;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGSTOP: the agent keeps its sockets but answers nothing. */
  pause(): void;
  resume(): void;
  /** Stop and start again with the same ports and config; a -dev agent forgets every registration. */
  restart(): Promise<void>;
  /** GET `/v1`-relative or absolute path, parsed JSON; throws on a non-2xx answer. */
  get<T = unknown>(path: string, options?: { token?: string; timeoutMs?: number }): Promise<T>;
  /** The last lines the agent printed, for failure messages. */
  logTail(lines?: number): string;
}

export interface StartConsulOptions {
  acl?: { masterToken: string };
  /** How long to wait for a leader; default 30 s (the first start of a build can be slow). */
  readyTimeoutMs?: number;
  /** Extra HCL appended to the generated config. */
  extraHcl?: string;
  /** Listen on these ports (e.g. from {@link reserveConsulPorts}) instead of fresh free ones. */
  ports?: ConsulPorts;
  /** The loopback address to bind and serve on (default 127.0.0.1): agents of a cluster each have their own. */
  host?: string;
  /** Instead of `-dev`: e.g. a cluster member's `-server`, `-node`, `-data-dir`, `-retry-join` (consul-cluster.ts). */
  agentArgs?: string[];
}

export interface ConsulPorts {
  http: number;
  dns: number;
  serf_lan: number;
  serf_wan: number;
  server: number;
  grpc: number;
}

const LOG_LINES_KEPT = 200;

/** The binary from `$CONSUL_BIN`, else what `scripts/consul-agent.sh` finds or builds. */
function consulBinary(): string {
  return binaryFrom('CONSUL_BIN', 'consul-agent.sh');
}

async function udpFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    socket.bind({ address: '127.0.0.1', port, exclusive: true });
    await once(socket, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}

/** Ports free for both TCP and UDP (serf and DNS use both), held together so they differ. */
async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > count * 20) throw new Error(`could not find ${count} free ports on 127.0.0.1`);
      const server = await listenOnServerPort();
      held.push(server);
      const port = (server.address() as { port: number }).port;
      if (await udpFree(port)) ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/**
 * Six ports free now (TCP and UDP), for an agent started later with `startConsul({ ports })`:
 * e.g. an app pointed at `127.0.0.1:<http>` before any agent runs there.
 */
export async function reserveConsulPorts(): Promise<ConsulPorts> {
  const [http, dns, serfLan, serfWan, server, grpc] = await freePorts(6);
  return { http, dns, serf_lan: serfLan, serf_wan: serfWan, server, grpc };
}

function buildHcl(ports: ConsulPorts, options: StartConsulOptions): string {
  const lines = [
    `ports {`,
    `  http = ${ports.http}`,
    `  dns = ${ports.dns}`,
    `  serf_lan = ${ports.serf_lan}`,
    `  serf_wan = ${ports.serf_wan}`,
    `  server = ${ports.server}`,
    `  grpc = ${ports.grpc}`,
    // -dev in 1.14 also opens gRPC TLS on 8503 and HTTPS is off; neither may collide.
    `  grpc_tls = -1`,
    `  https = -1`,
    `}`,
    `disable_update_check = true`,
  ];
  if (options.acl) {
    const token = JSON.stringify(options.acl.masterToken);
    lines.push(
      `acl {`,
      `  enabled = true`,
      `  default_policy = "deny"`,
      `  enable_token_persistence = false`,
      `  tokens {`,
      `    initial_management = ${token}`,
      `    agent = ${token}`,
      `  }`,
      `}`,
    );
  }
  if (options.extraHcl) lines.push(options.extraHcl);
  return lines.join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts an agent and resolves once it has a leader. */
export async function startConsul(options: StartConsulOptions = {}): Promise<ConsulAgent> {
  const binary = consulBinary();
  const ports: ConsulPorts = options.ports ? { ...options.ports } : await reserveConsulPorts();
  const host = options.host ?? '127.0.0.1';
  const args = ['agent', ...(options.agentArgs ?? ['-dev']), '-bind', host, '-client', host];
  args.push('-hcl', buildHcl(ports, options));
  const url = `http://${host}:${ports.http}`;
  const log: string[] = [];
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  let child: ChildProcess | undefined;

  const pushLog = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      log.push(line);
      if (log.length > LOG_LINES_KEPT) log.shift();
    }
  };
  const logTail = (n = 30) => log.slice(-n).join('\n');
  const alive = (c: ChildProcess | undefined): boolean =>
    c !== undefined && c.exitCode === null && c.signalCode === null;

  const get = async <T>(path: string, opts: { token?: string; timeoutMs?: number } = {}): Promise<T> => {
    const target = path.startsWith('http') ? path : `${url}${path.startsWith('/v1') ? '' : '/v1'}${path}`;
    const headers: Record<string, string> = {};
    const token = opts.token ?? options.acl?.masterToken;
    if (token) headers['x-consul-token'] = token;
    const res = await fetch(target, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${target} answered ${res.status}: ${text.slice(0, 200)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  const waitForLeader = async () => {
    const deadline = Date.now() + readyTimeoutMs;
    let lastError = 'no answer yet';
    while (Date.now() < deadline) {
      if (!alive(child)) {
        throw new Error(
          `consul agent exited (code ${child?.exitCode}, signal ${child?.signalCode}) before it had a ` +
            `leader:\n${logTail()}`,
        );
      }
      try {
        const leader = await get<string>('/v1/status/leader', { timeoutMs: 1_000 });
        if (typeof leader === 'string' && leader !== '') return;
        lastError = 'leader is still empty';
      } catch (err) {
        lastError = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(
      `consul agent on ${url} had no leader after ${readyTimeoutMs} ms (last: ${lastError}):\n${logTail()}`,
    );
  };

  const spawnAgent = async () => {
    const c = spawnServer(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', pushLog);
    c.stderr?.on('data', pushLog);
    await new Promise<void>((res, rej) => {
      c.once('spawn', () => res());
      c.once('error', (err) => rej(new Error(`cannot run ${binary}: ${err.message}`)));
    });
    try {
      await waitForLeader();
    } catch (err) {
      await stopChild(c);
      throw err;
    }
  };

  const stopChild = async (c: ChildProcess) => {
    if (!alive(c)) return;
    const exited = once(c, 'exit');
    try {
      process.kill(c.pid!, 'SIGCONT');
      process.kill(c.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      if (alive(c)) process.kill(c.pid!, 'SIGKILL');
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  const signal = (sig: NodeJS.Signals) => {
    if (!child || !alive(child)) throw new Error(`consul agent is not running; cannot send ${sig}`);
    process.kill(child.pid!, sig);
  };

  await spawnAgent();

  return {
    httpAddr: `${host}:${ports.http}`,
    url,
    ports,
    get pid() {
      return child?.pid ?? -1;
    },
    masterToken: options.acl?.masterToken,
    stop: async () => {
      if (child) await stopChild(child);
    },
    kill: (sig: NodeJS.Signals = 'SIGKILL') => signal(sig),
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    restart: async () => {
      if (child) await stopChild(child);
      await spawnAgent();
    },
    get,
    logTail,
  };
}
