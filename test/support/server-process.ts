import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { resolve } from 'node:path';

/** A real server process started for a test (NATS, Redis, RabbitMQ, epmd); stopped by PID. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** A line it prints once it accepts clients. */
  ready?: RegExp;
  /** Or: a loopback TCP port that accepts connections once it is ready. */
  readyPort?: number;
  /** Default 60 s: a cold RabbitMQ on a loaded 2-core machine takes tens of seconds. */
  readyTimeoutMs?: number;
}

/** The repository's root, seen from test/support/ or from its compiled copy in build/test/support/ (the benches). */
const REPO_ROOT = [resolve(__dirname, '..', '..'), resolve(__dirname, '..', '..', '..')].find((dir) =>
  existsSync(resolve(dir, 'scripts')),
)!;
const binaries = new Map<string, string>();

/**
 * The binary named by `$envVar`, else the path that `scripts/<script>` prints (it may build it
 * once). Under vitest the global setup (locate-tool.ts) has set `$envVar` before any test runs;
 * the script is the way for benches and other scripts.
 */
export function binaryFrom(envVar: string, script: string): string {
  const known = process.env[envVar] || binaries.get(script);
  if (known) return known;
  const out = execFileSync(resolve(REPO_ROOT, 'scripts', script), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    // A cold build takes minutes; a cached one answers at once.
    timeout: 20 * 60_000,
  });
  const path = out.trim().split('\n').pop();
  if (!path) throw new Error(`scripts/${script} printed no binary path`);
  binaries.set(script, path);
  return path;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Whether a process with this PID is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Linux: setpriv makes the kernel SIGKILL the server when the process that started it dies,
 * however it dies (a test worker killed at a timeout runs no exit handler). setpriv execs the
 * server, so the child's PID is the server's. Tied to the spawning thread: vitest's `forks` pool.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** Spawns a server process that dies with this process (see SETPRIV) and is killed by PID at exit. */
export function spawnServer(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args], options)
    : spawn(command, args, options);
  killOnExit(child);
  return child;
}

/**
 * Kills `child` (by PID) if the test process exits first: a run that dies mid-way must not leave servers holding ports.
 */
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of running) {
      if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
      try {
        process.kill(c.pid, 'SIGCONT'); // a paused (SIGSTOP) process would not die
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Where test servers' ports are chosen: below Linux's ephemeral range (32768-60999). A port that
 * `listen(0)` gives is in that range, where any outgoing connection of the busy test run may take it
 * as its local port before the server meant to listen on it binds (seen in CI: a Consul agent's
 * "bind: address already in use").
 */
const SERVER_PORTS = { from: 20_000, to: 32_767 };

/** A server listening on a random port of {@link SERVER_PORTS} free on 127.0.0.1 (tried until one is). */
export async function listenOnServerPort(): Promise<Server> {
  for (;;) {
    const port = SERVER_PORTS.from + Math.floor(Math.random() * (SERVER_PORTS.to - SERVER_PORTS.from + 1));
    const server = createServer();
    server.listen({ host: '127.0.0.1', port, exclusive: true });
    try {
      await once(server, 'listening');
      return server;
    } catch {
      server.close();
    }
  }
}

/** A TCP port free on 127.0.0.1 right now, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  const server = await listenOnServerPort();
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `count` distinct free ports, held together while they are chosen. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      servers.push(await listenOnServerPort());
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Resolves with the error code of a connection attempt to 127.0.0.1:`port`, or 'connected'. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Starts a server process and resolves once it is ready (its `ready` line or port). */
export async function startServerProcess(options: StartServerOptions): Promise<ServerProcess> {
  const child = spawnServer(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    wake?.();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      wake?.();
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) =>
      reject(new Error(`cannot run ${options.command} (${options.name}): ${error.message}`)),
    );
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (!alive()) return;
    process.kill(child.pid!, 'SIGTERM');
    const killer = setTimeout(() => alive() && process.kill(child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      if (options.ready?.test(text)) break;
      if (options.readyPort !== undefined && (await tryConnect(options.readyPort)) === 'connected') break;
      if (!alive())
        throw new Error(`${options.name} exited (code ${child.exitCode}) before it was ready:\n${text.slice(-3_000)}`);
      if (performance.now() > deadline)
        throw new Error(`${options.name} was not ready within ${timeoutMs} ms:\n${text.slice(-3_000)}`);
      // Woken by its output or exit; the port has no event to wait for, so it is polled.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { name: options.name, pid: child.pid!, output: () => text, stop };
}
