import { status as grpcStatus } from '@grpc/grpc-js';
import { grpcClient } from '../test/support/grpc-app';
import { spawnApp, type SpawnedApp } from '../test/support/spawn-app';

/**
 * gRPC unary calls under load through a rolling stop: two servers behind a round-robin
 * grpc-js channel, SIGTERM to one of them mid-load, the other keeps serving. Counts the
 * calls that failed, plain Nest (`enableShutdownHooks()`) against nestjs-graceful
 * (shutdownDelay 300 ms), alternating runs so drift hits both alike.
 * `npm run bench:grpc`. Env: BENCH_GRPC_RUNS (default 5), BENCH_GRPC_CLIENTS (32).
 */
const RUNS = Number(process.env.BENCH_GRPC_RUNS ?? 5);
const CLIENTS = Number(process.env.BENCH_GRPC_CLIENTS ?? 32);
/** Handler time of each call (ms): calls are in flight at the signal. */
const CALL_MS = 20;
const SIGTERM_AFTER_MS = 1_000;
/** Load goes on this long after the stopped server exited, then stops. */
const AFTER_EXIT_MS = 500;
const MAX_LOAD_MS = 15_000;

type Variant = 'plain Nest' | 'nestjs-graceful';

interface RunResult {
  ok: number;
  failed: Map<string, number>;
  exitCode: number | null;
  stopMs: number;
}

async function startServer(variant: Variant): Promise<{ app: SpawnedApp; grpcPort: number }> {
  const options = variant === 'plain Nest' ? false : { shutdownDelay: 300 };
  // Compiled, this file is build/bench/; spawnApp() resolves build/<script> from build/, hence the relative path.
  const app = await spawnApp('../test/fixtures/grpc-server.js', {
    FIXTURE: JSON.stringify({ options, events: false }),
  });
  const grpcPort = Number((await app.waitForLine(/^GRPC \d+/)).split(' ')[1]);
  return { app, grpcPort };
}

async function run(variant: Variant): Promise<RunResult> {
  const [stopped, survivor] = await Promise.all([startServer(variant), startServer(variant)]);
  const client = grpcClient(`ipv4:127.0.0.1:${stopped.grpcPort},127.0.0.1:${survivor.grpcPort}`, {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  });
  const failed = new Map<string, number>();
  let ok = 0;
  let stopAt = performance.now() + MAX_LOAD_MS;
  try {
    const loop = async (client_: number) => {
      for (let id = client_ * 1_000_000; performance.now() < stopAt; id++) {
        try {
          await client.get({ id, ms: CALL_MS });
          ok++;
        } catch (error) {
          const code = (error as { code?: number }).code;
          const name = code === undefined ? String(error) : (grpcStatus[code] ?? String(code));
          failed.set(name, (failed.get(name) ?? 0) + 1);
        }
      }
    };
    const loops = Array.from({ length: CLIENTS }, (_, i) => loop(i));
    await new Promise((resolve) => setTimeout(resolve, SIGTERM_AFTER_MS));
    const signalledAt = performance.now();
    stopped.app.kill('SIGTERM');
    const exit = await Promise.race([
      stopped.app.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), MAX_LOAD_MS)),
    ]);
    stopAt = Math.min(stopAt, performance.now() + AFTER_EXIT_MS);
    await Promise.all(loops);
    return {
      ok,
      failed,
      exitCode: exit?.code ?? null,
      stopMs: Math.round((exit?.at ?? performance.now()) - signalledAt),
    };
  } finally {
    client.close();
    stopped.app.kill('SIGKILL');
    survivor.app.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  console.log(
    `gRPC rolling stop: 2 servers, round robin, ${CLIENTS} looping clients, unary calls of ${CALL_MS} ms, SIGTERM to ` +
      `one after ${SIGTERM_AFTER_MS} ms; ${RUNS} runs per variant, alternating`,
  );
  const totals = new Map<Variant, { ok: number; lost: number; runs: string[] }>();
  for (let i = 0; i < RUNS; i++) {
    for (const variant of ['plain Nest', 'nestjs-graceful'] as const) {
      const result = await run(variant);
      const lost = [...result.failed.values()].reduce((a, b) => a + b, 0);
      const total = totals.get(variant) ?? { ok: 0, lost: 0, runs: [] };
      total.ok += result.ok;
      total.lost += lost;
      const kinds = [...result.failed].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
      total.runs.push(
        `run ${i + 1}: ${result.ok} ok, ${lost} lost (${kinds}), exit ${result.exitCode} after ${result.stopMs} ms`,
      );
      totals.set(variant, total);
      console.log(`${variant.padEnd(16)} ${total.runs.at(-1)}`);
    }
  }
  console.log('\n| variant | calls answered | calls lost |\n|---|---|---|');
  for (const [variant, total] of totals) console.log(`| ${variant} | ${total.ok} | ${total.lost} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
