import { cpus } from 'node:os';
import { envInt, envNumber, loadAverage } from './bench-env';
import { fixedDurationLoad } from './fixed-duration-load';
import { lossUnderStop, type StopRun } from './loss-under-stop';
import { median } from './median';
import { spawnBenchServer } from './spawn-bench-server';
import { PLATFORMS, VARIANTS, type BenchPlatform, type Variant } from './variants';

/**
 * What server-level tracking costs, side by side with a bare app and with a do-nothing
 * global interceptor, on Express and Fastify; then how many requests a stop under
 * keep-alive load loses. `npm run bench` (builds first). Env: BENCH_ROUNDS,
 * BENCH_SECONDS (measured), BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS, BENCH_STOP_RUNS,
 * BENCH_ONLY=cost|loss (one section).
 *
 * Each run gets a fresh server child (one core); the load generator runs here, in the
 * bench process, which does nothing else meanwhile (the other core). Runs interleave
 * bare, graceful, global-interceptor per round, so drift hits every variant alike.
 */
const ROUNDS = envInt('BENCH_ROUNDS', 5);
const SECONDS = envNumber('BENCH_SECONDS', 3);
const WARMUP_SECONDS = envNumber('BENCH_WARMUP_SECONDS', 1.5);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 32);
const STOP_RUNS = envInt('BENCH_STOP_RUNS', 6);
const STOP_CLIENTS = 32;
const ONLY = process.env.BENCH_ONLY;

interface Sample {
  rps: number;
  /** Server CPU per request (µs). */
  cpuUs: number;
  /** Server CPU time / wall time. */
  serverCpu: number;
  /** This process's (the load generator's) CPU time / wall time. */
  clientCpu: number;
  errors: number;
}

async function measure(platform: BenchPlatform, variant: Variant): Promise<Sample> {
  const server = await spawnBenchServer(platform, variant);
  try {
    let serverStart: NodeJS.CpuUsage = { user: 0, system: 0 };
    let serverEnd: NodeJS.CpuUsage = { user: 0, system: 0 };
    let clientStart: NodeJS.CpuUsage = { user: 0, system: 0 };
    let clientDelta: NodeJS.CpuUsage = { user: 0, system: 0 };
    const window = await fixedDurationLoad(server.port, '/ping', CONNECTIONS, WARMUP_SECONDS * 1000, SECONDS * 1000, {
      onMeasureStart: async () => {
        serverStart = await server.cpuUsage();
        clientStart = process.cpuUsage();
      },
      onMeasureEnd: async () => {
        clientDelta = process.cpuUsage(clientStart);
        serverEnd = await server.cpuUsage();
      },
    });
    const serverUs = serverEnd.user - serverStart.user + (serverEnd.system - serverStart.system);
    const wallUs = window.seconds * 1e6;
    return {
      rps: window.requests / window.seconds,
      cpuUs: serverUs / window.requests,
      serverCpu: serverUs / wallUs,
      clientCpu: (clientDelta.user + clientDelta.system) / wallUs,
      errors: window.errors,
    };
  } finally {
    await server.stop();
  }
}

async function throughput(): Promise<void> {
  console.log(
    `\n== What tracking costs: GET /ping, ${CONNECTIONS} keep-alive connections, ${WARMUP_SECONDS} s warmup + ` +
      `${SECONDS} s measured, ` +
      `${ROUNDS} interleaved rounds, fresh server process per run; load average ${loadAverage()} ==`,
  );
  console.log(
    "(server: the app's own CPU per request and CPU use; load-gen near 100% means the client, not the server, bounds " +
      'req/s)',
  );
  const samples = new Map<string, Sample[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const platform of PLATFORMS) {
      for (const variant of VARIANTS) {
        const sample = await measure(platform, variant);
        const key = `${platform}/${variant}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        console.log(
          `round ${round}  ${platform.padEnd(7)}  ${variant.padEnd(18)}  ${fmt(sample.rps, 0).padStart(6)} req/s  ` +
            `server ${fmt(sample.cpuUs, 1).padStart(5)} µs/req  server cpu ${pct(sample.serverCpu)}  load-gen cpu ` +
            `${pct(sample.clientCpu)}` +
            (sample.errors ? `  errors ${sample.errors}` : ''),
        );
      }
    }
  }
  console.log(
    "\nmedians (ratios: median req/s vs bare's; +µs: median server CPU per request minus bare's; " +
      "min: the same from each variant's least disturbed run)",
  );
  for (const platform of PLATFORMS) {
    const of = (variant: Variant) => samples.get(`${platform}/${variant}`)!;
    const rps = (variant: Variant) => median(of(variant).map((s) => s.rps));
    const cpu = (variant: Variant) => median(of(variant).map((s) => s.cpuUs));
    const minCpu = (variant: Variant) => Math.min(...of(variant).map((s) => s.cpuUs));
    const plus = (value: number) => `${value >= 0 ? '+' : ''}${fmt(value, 1)} µs`;
    console.log(
      `${platform.padEnd(7)}  bare ${fmt(rps('bare'), 0)} req/s (${fmt(cpu('bare'), 1)} µs/req)  ` +
        `graceful ${fmt(rps('graceful') / rps('bare'), 2)}x (${plus(cpu('graceful') - cpu('bare'))}, min ` +
        `${plus(minCpu('graceful') - minCpu('bare'))})  ` +
        `global-interceptor ${fmt(rps('global-interceptor') / rps('bare'), 2)}x ` +
        `(${plus(cpu('global-interceptor') - cpu('bare'))}, min ` +
        `${plus(minCpu('global-interceptor') - minCpu('bare'))})`,
    );
  }
}

async function lossSection(): Promise<void> {
  console.log(
    `\n== Loss under stop: fixture app (shutdownDelay 300 ms), ${STOP_CLIENTS} looping keep-alive clients on GET ` +
      `/ping, ` +
      `SIGTERM mid-load, ${STOP_RUNS} runs per platform; load average ${loadAverage()} ==`,
  );
  const totals: Record<string, { runs: number; ok: number; failures: number; refused: number; badExits: number }> = {};
  const allFailures: string[] = [];
  for (let run = 1; run <= STOP_RUNS; run++) {
    for (const platform of PLATFORMS) {
      // Vary the moment of the SIGTERM a little between runs.
      const sigtermAfterMs = 400 + ((run * 137) % 400);
      const result: StopRun = await lossUnderStop(platform, STOP_CLIENTS, { ms: sigtermAfterMs });
      const total = (totals[platform] ??= { runs: 0, ok: 0, failures: 0, refused: 0, badExits: 0 });
      total.runs++;
      total.ok += result.ok;
      total.failures += result.failures.length;
      total.refused += result.refused;
      if (result.exitCode !== 0) total.badExits++;
      allFailures.push(...result.failures.map((f) => `${platform} run ${run}: ${f}`));
      console.log(
        `run ${run}  ${platform.padEnd(7)}  SIGTERM at ${sigtermAfterMs} ms  ok ${String(result.ok).padStart(6)}  ` +
          `failures ${result.failures.length}  refused ${String(result.refused).padStart(2)}  exit ` +
          `${result.exitCode} after ${result.stopMs} ms`,
      );
      if (result.failures.length > 0) console.log(`  its stop report: ${result.stopReport ?? '(none printed)'}`);
    }
  }
  console.log('\ntotals:');
  for (const platform of PLATFORMS) {
    const t = totals[platform];
    console.log(
      `${platform.padEnd(7)}  ${t.runs} runs  ok ${t.ok}  failures ${t.failures}  refused ${t.refused}  non-zero ` +
        `exits ${t.badExits}`,
    );
  }
  const distinct = [...new Set(allFailures)];
  if (distinct.length > 0) console.log(`failures:\n  ${distinct.slice(0, 20).join('\n  ')}`);
}

async function main(): Promise<void> {
  const began = performance.now();
  console.log(
    `nestjs-graceful tracking bench  node ${process.version}  ${cpus().length} cpus (${cpus()[0]?.model ?? '?'})  ` +
      `load average ${loadAverage()}`,
  );
  if (ONLY !== 'loss') await throughput();
  if (ONLY !== 'cost') await lossSection();
  console.log(`\ndone in ${Math.round((performance.now() - began) / 1000)} s  load average ${loadAverage()}`);
}

function fmt(value: number, digits: number): string {
  return value.toFixed(digits);
}

function pct(value: number): string {
  return `${Math.round(value * 100)}%`.padStart(4);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
