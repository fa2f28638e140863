import { cpus } from 'node:os';
import { envInt, loadAverage } from './bench-env';
import { ServiceClient } from '../src/discovery';
import { ConsulDiscovery } from '../src/registry/consul/consul-discovery';
import { startConsul, type ConsulAgent } from '../test/support/consul-agent';
import { waitForPassing } from '../test/support/consul-watch';
import { discoveryLoad, type LoadTally } from './discovery-load';
import { clusterFaults } from './fleet-cluster';
import { median } from './median';
import { spawnService, type FleetInstance } from './spawn-service';
import { watchLatency } from './watch-latency';

/**
 * `npm run bench:fleet`: a real `consul agent -dev`, three instances of an orders service,
 * callers through the discovery client (keep-alive pools) under load, and a rolling restart
 * of the three (surge first: each replacement passes in Consul before its old instance gets
 * SIGTERM, as a Kubernetes Deployment of 3 does by default). Side by side in one run:
 * - nestjs-graceful: the sample's orders service (sample-app/main.ts, shutdownDelay 1 s);
 * - plain Nest: the same service registering after listen() and deregistering in
 *   onModuleDestroy under enableShutdownHooks() (bench/plain-orders.ts).
 * Then how fast the client follows Consul (watch latency), and last issue 18's faults in a real
 * cluster (bench/fleet-cluster.ts). Loopback only; bounded.
 * Env: FLEET_ROUNDS (2), FLEET_LOOPS (16), FLEET_DELAY_MS (10), FLEET_LATENCY_ROUNDS (20),
 * FLEET_CLUSTER_ROUNDS (3 per fault), FLEET_CLUSTER=0 leaves the cluster part out.
 */
const ROUNDS = envInt('FLEET_ROUNDS', 2);
const LOOPS = envInt('FLEET_LOOPS', 16);
const DELAY_MS = envInt('FLEET_DELAY_MS', 10);
const LATENCY_ROUNDS = envInt('FLEET_LATENCY_ROUNDS', 20);
/** Load keeps going this long after the last replacement is in, then stops. */
const SETTLE_MS = 1_000;
const MAX_RESTART_MS = 120_000;

interface Variant {
  label: string;
  service: string;
  script: string;
}

const VARIANTS: Variant[] = [
  { label: 'nestjs-graceful', service: 'orders', script: 'sample-app/main.js' },
  { label: 'plain Nest', service: 'orders-plain', script: 'bench/plain-orders.js' },
];

interface RestartRun {
  tally: LoadTally;
  restartMs: number;
  /** Per replacement: from its spawn until it passes in Consul. */
  startMs: number[];
  stopMs: number[];
  exits: string[];
}

async function rollingRestart(agent: ConsulAgent, discovery: ConsulDiscovery, variant: Variant): Promise<RestartRun> {
  const env = { CONSUL_HTTP_ADDR: agent.httpAddr, SERVICE_NAME: variant.service };
  const fleet: FleetInstance[] = await Promise.all([0, 1, 2].map(() => spawnService(variant.script, env)));
  const client = new ServiceClient(variant.service, discovery, {}, { warn: () => undefined });
  const startMs: number[] = [];
  const stopMs: number[] = [];
  const exits: string[] = [];
  try {
    await Promise.all(fleet.map((i) => waitForPassing(agent, variant.service, i.id, 10_000)));
    while (client.instances.length < 3) await new Promise((r) => setTimeout(r, 10));
    const load = discoveryLoad(client, LOOPS, DELAY_MS, MAX_RESTART_MS);
    await new Promise((r) => setTimeout(r, 500));
    const began = performance.now();
    for (let slot = 0; slot < fleet.length; slot++) {
      const spawnedAt = performance.now();
      const fresh = await spawnService(variant.script, env);
      await waitForPassing(agent, variant.service, fresh.id, 10_000);
      startMs.push(Math.round(performance.now() - spawnedAt));
      const old = fleet[slot]!;
      fleet[slot] = fresh;
      const stopped = await old.stop();
      stopMs.push(stopped.ms);
      exits.push(stopped.exit);
    }
    const restartMs = Math.round(performance.now() - began);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { tally: await load.stop(), restartMs, startMs, stopMs, exits };
  } finally {
    await client.close();
    await Promise.all(fleet.map((i) => i.stop(5_000)));
  }
}

async function main(): Promise<void> {
  const began = performance.now();
  console.log(
    `nestjs-graceful fleet bench  node ${process.version}  ${cpus().length} cpus  load average ${loadAverage()}`,
  );
  const agent = await startConsul();
  const discovery = new ConsulDiscovery({
    address: agent.httpAddr,
    logger: { warn: (m) => console.log(`  consul: ${m}`) },
  });
  try {
    console.log(
      `\n== Rolling restart of 3 instances under load: ${LOOPS} callers through the discovery client (p2c, ` +
        `keep-alive), ` +
        `GET /orders/:id?delay=${DELAY_MS}, ${ROUNDS} rounds per variant, interleaved ==`,
    );
    const totals = new Map<
      string,
      { ok: number; failed: number; retried: number; restartMs: number[]; startMs: number[]; stopMs: number[] }
    >();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const variant of VARIANTS) {
        const run = await rollingRestart(agent, discovery, variant);
        const failed = [...run.tally.failed.values()].reduce((a, b) => a + b, 0);
        const total = totals.get(variant.label) ?? {
          ok: 0,
          failed: 0,
          retried: 0,
          restartMs: [],
          startMs: [],
          stopMs: [],
        };
        total.ok += run.tally.ok;
        total.failed += failed;
        total.retried += run.tally.retried;
        total.restartMs.push(run.restartMs);
        total.startMs.push(...run.startMs);
        total.stopMs.push(...run.stopMs);
        totals.set(variant.label, total);
        console.log(
          `round ${round}  ${variant.label.padEnd(15)}  ok ${String(run.tally.ok).padStart(6)}  failed ` +
            `${String(failed).padStart(4)}  stops (SIGTERM to exit) ${run.stopMs.join('/')} ms  ` +
            `retried ${String(run.tally.retried).padStart(3)}  restart ${run.restartMs} ms  (starts ` +
            `${run.startMs.join('/')} ms)  exits ${run.exits.join('/')}`,
        );
        for (const [reason, count] of run.tally.failed) console.log(`    ${count} × ${reason}`);
      }
    }
    console.log('\ntotals:');
    for (const [label, t] of totals) {
      console.log(
        `${label.padEnd(15)}  ok ${t.ok}  failed ${t.failed}  stop (SIGTERM to exit) median ${median(t.stopMs)} ms ` +
          `max ${Math.max(...t.stopMs)} ms  retried ${t.retried}  restart of 3 median ${median(t.restartMs)} ms  ` +
          `start median ${median(t.startMs)} ms`,
      );
    }

    console.log(
      `\n== Watch latency: an instance's check passes / it is deregistered, until the client lists / drops it; ` +
        `${LATENCY_ROUNDS} rounds ==`,
    );
    const latency = await watchLatency(agent, LATENCY_ROUNDS);
    const show = (values: number[]) =>
      `median ${median(values).toFixed(1)} ms  max ${Math.max(...values).toFixed(1)} ms  ` +
      `(${values.map((v) => v.toFixed(0)).join(' ')})`;
    console.log(`appear     ${show(latency.appearMs)}`);
    console.log(`disappear  ${show(latency.disappearMs)}`);
  } finally {
    await discovery.close();
    await agent.stop();
  }
  if (process.env.FLEET_CLUSTER !== '0') await clusterFaults();
  console.log(`\ndone in ${Math.round((performance.now() - began) / 1000)} s  load average ${loadAverage()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
