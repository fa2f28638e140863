import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ConsulAgent } from './consul-agent';

/** PUT to the agent's HTTP API (register, pass a check, deregister); throws on a non-2xx answer. */
export async function consulPut(agent: ConsulAgent, path: string, body?: unknown): Promise<void> {
  const headers: Record<string, string> = agent.masterToken ? { 'x-consul-token': agent.masterToken } : {};
  const res = await fetch(`${agent.url}/v1${path}`, {
    method: 'PUT',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`PUT ${path} answered ${res.status}: ${await res.text()}`);
}

/** A logger that keeps every line with its `performance.now()`, and can wait for one. */
export class RecordingLogger {
  readonly lines: { level: string; message: string; at: number }[] = [];
  private readonly waiters = new Set<() => void>();

  readonly log = (message: string) => this.add('log', message);
  readonly warn = (message: string) => this.add('warn', message);
  readonly error = (message: string) => this.add('error', message);

  /** Resolves with the first line (from `from` on) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<{ level: string; message: string; at: number }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.slice(from).find((l) => pattern.test(l.message));
        if (!line) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(line);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `no log line matching ${pattern} within ${timeoutMs} ms; ` +
              `lines:\n${this.lines.map((l) => `${l.level} ${l.message}`).join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private add(level: string, message: string): void {
    this.lines.push({ level, message, at: performance.now() });
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** A plain HTTP server standing for one instance: answers its id, counts requests, and sees its connections close. */
export interface InstanceServer {
  readonly id: string;
  readonly port: number;
  readonly requests: number;
  /** Open connections now. */
  readonly connections: number;
  /** Resolves with `performance.now()` once no connection is open. */
  whenNoConnection(): Promise<number>;
  close(): Promise<void>;
}

export async function startInstanceServer(id: string): Promise<InstanceServer> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const idle: (() => void)[] = [];
  const server: Server = createServer((_req, res) => {
    requests++;
    res.end(id);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const wake of idle.splice(0)) wake();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    id,
    port: (server.address() as AddressInfo).port,
    get requests() {
      return requests;
    },
    get connections() {
      return sockets.size;
    },
    whenNoConnection: () =>
      new Promise((resolve) =>
        sockets.size === 0 ? resolve(performance.now()) : idle.push(() => resolve(performance.now())),
      ),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
