import { cpus } from 'node:os';
import { envInt, loadAverage } from './bench-env';
import { startConsul } from '../test/support/consul-agent';
import { startConsulCluster } from '../test/support/consul-cluster';
import { median, percentile } from './median';
import { watchLatency, type WatchLatency } from './watch-latency';

/**
 * `npm run bench:consul`: how long a deregistration takes to reach the callers, in the topology
 * fleets run (3 servers, a client agent per node: deregistered at node-1's agent, watched
 * through node-2's) beside one `consul agent -dev` (deregistered and watched at the same agent).
 * The figure is what `shutdownDelay` must cover at least. The two run in alternating batches so
 * that both see the same load. Each round: the instance's TTL check passes, the ms until a
 * ServiceClient lists it; it is deregistered, the ms until the client drops it.
 * Env: PROPAGATION_ROUNDS (100 per topology), PROPAGATION_BATCH (10).
 */
const ROUNDS = envInt('PROPAGATION_ROUNDS', 100);
const BATCH = envInt('PROPAGATION_BATCH', 10);

function show(label: string, values: number[]): string {
  const f = (v: number) => v.toFixed(1).padStart(7);
  return (
    `${label.padEnd(34)} p50 ${f(median(values))} ms  p99 ${f(percentile(values, 99))} ms  ` +
    `max ${f(Math.max(...values))} ms`
  );
}

async function main(): Promise<void> {
  const began = performance.now();
  console.log(`Node ${process.version}, ${cpus().length} cores, load average ${loadAverage()}`);
  const dev = await startConsul();
  const cluster = await startConsulCluster({ nodes: 2 }).catch(async (err: unknown) => {
    await dev.stop();
    throw err;
  });
  const [own, callers] = cluster.clients;
  const empty = (): WatchLatency => ({ appearMs: [], disappearMs: [] });
  const results = { dev: empty(), cluster: empty() };
  try {
    for (let done = 0; done < ROUNDS; done += BATCH) {
      const rounds = Math.min(BATCH, ROUNDS - done);
      for (const [into, latency] of [
        [results.dev, () => watchLatency(dev, rounds)],
        [results.cluster, () => watchLatency(own!, rounds, callers)],
      ] as const) {
        const { appearMs, disappearMs } = await latency();
        into.appearMs.push(...appearMs);
        into.disappearMs.push(...disappearMs);
      }
    }
    console.log(`\n== ${ROUNDS} rounds per topology, in batches of ${BATCH} ==`);
    console.log(show('-dev: deregistered → dropped', results.dev.disappearMs));
    console.log(show('cluster: deregistered → dropped', results.cluster.disappearMs));
    console.log(show('-dev: check passes → listed', results.dev.appearMs));
    console.log(show('cluster: check passes → listed', results.cluster.appearMs));
  } finally {
    await cluster.stop();
    await dev.stop();
  }
  console.log(`\ndone in ${Math.round((performance.now() - began) / 1000)} s  load average ${loadAverage()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
