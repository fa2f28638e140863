import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** One instance of a fleet: a compiled app under build/, registered in Consul. */
export interface FleetInstance {
  readonly id: string;
  readonly port: number;
  /** SIGTERM, then wait for the exit (SIGKILL after `killAfterMs`); resolves with the exit code and the ms it took. */
  stop(killAfterMs?: number): Promise<{ exit: string; ms: number; output: string }>;
  kill(): void;
}

const BUILD = join(__dirname, '..');

/** A port free now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Spawns `script` (relative to build/) and resolves once it logs `registered <name> (<id>)`. */
export async function spawnService(
  script: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<FleetInstance> {
  const port = await freePort();
  const proc: ChildProcess = spawn(process.execPath, [join(BUILD, script)], {
    env: { ...process.env, ...env, PORT: String(port), NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // The exit code, or the signal that ended it (plain Nest re-raises SIGTERM).
  const exited = new Promise<string>((resolve) =>
    proc.once('close', (code, signal) => resolve(String(code ?? signal))),
  );
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${script} did not register within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /registered \S+ \((\S+)\)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1]!);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((exit) => fail(new Error(`${script} exited (${exit}) before it registered:\n${output}`)));
  });
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    id,
    port,
    stop: async (killAfterMs = 30_000) => {
      const started = performance.now();
      if (alive()) proc.kill('SIGTERM');
      const killer = setTimeout(() => alive() && proc.kill('SIGKILL'), killAfterMs);
      const exit = await exited;
      clearTimeout(killer);
      return { exit, ms: Math.round(performance.now() - started), output };
    },
    kill: () => {
      if (alive()) proc.kill('SIGKILL');
    },
  };
}
