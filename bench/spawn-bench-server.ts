import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BenchPlatform, Variant } from './variants';

export interface BenchServer {
  readonly port: number;
  /** The server process's own process.cpuUsage() (µs), asked over IPC. */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  /** Asks it to exit; SIGKILL if it has not within 2 s. */
  stop(): Promise<void>;
}

/**
 * Spawns the compiled bench server (build/bench/bench-server.js) with an IPC channel and waits for `LISTENING <port>`.
 */
export function spawnBenchServer(platform: BenchPlatform, variant: Variant): Promise<BenchServer> {
  const proc: ChildProcess = spawn(process.execPath, [join(__dirname, 'bench-server.js')], {
    env: { ...process.env, BENCH_PLATFORM: platform, BENCH_VARIANT: variant, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let output = '';
  let listening = false;
  return new Promise<BenchServer>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`bench server ${platform}/${variant} did not listen within 20 s:\n${output}`)),
      20_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(error);
    };
    const onEarlyExit = (code: number | null) =>
      fail(new Error(`bench server ${platform}/${variant} exited (${code}):\n${output}`));
    proc.once('exit', onEarlyExit);
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    proc.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /^LISTENING (\d+)/m.exec(output);
      if (!match || listening) return;
      listening = true;
      clearTimeout(timer);
      proc.off('exit', onEarlyExit);
      resolve({
        port: Number(match[1]),
        cpuUsage: () =>
          new Promise((resolveCpu, rejectCpu) => {
            const done = () => {
              clearTimeout(cpuTimer);
              proc.off('message', onMessage);
              proc.off('exit', onExit);
            };
            const onMessage = (message: { cpu?: NodeJS.CpuUsage }) => {
              if (!message.cpu) return;
              done();
              resolveCpu(message.cpu);
            };
            const onExit = () => {
              done();
              rejectCpu(new Error(`bench server ${platform}/${variant} exited:\n${output}`));
            };
            const cpuTimer = setTimeout(() => {
              done();
              rejectCpu(new Error(`bench server ${platform}/${variant} did not report its CPU within 5 s`));
            }, 5_000);
            proc.on('message', onMessage);
            proc.once('exit', onExit);
            proc.send('cpu');
          }),
        stop: async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.send('exit');
          const killer = setTimeout(() => proc.kill('SIGKILL'), 2_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}
