import { cpus } from 'node:os';
import { envInt, loadAverage } from './bench-env';
import { startConsul } from '../test/support/consul-agent';
import { type ConsulCluster, startConsulCluster } from '../test/support/consul-cluster';
import { median, percentile } from './median';
import { watchLatency, type WatchLatency } from './watch-latency';

/**
 * `npm run bench:consul`: how long a deregistration takes to reach the callers, in the topology
 * fleets run (3 servers, a client agent per node: deregistered at node-1's agent, watched
 * through each of nodes 2–4's), with Raft's timings as Consul recommends for production (raft_multiplier 1)
 * and at its default (5), beside one `consul agent -dev` (deregistered and watched at one agent).
 * The figure is what `shutdownDelay` must cover at least. They run in alternating batches so
 * that all see the same load. Each round: the instance's TTL check passes, the ms until a
 * ServiceClient lists it; it is deregistered, the ms until the client drops it.
 * Each callers' agent streams from one server, the leader or a follower: their rows differ.
 * Env: PROPAGATION_ROUNDS (50 per callers' agent), PROPAGATION_BATCH (10).
 */
const ROUNDS = envInt('PROPAGATION_ROUNDS', 50);
const BATCH = envInt('PROPAGATION_BATCH', 10);
const MULTIPLIERS = [1, 5];
/** Agents the callers read through: each streams from one server, the leader or a follower. */
const CALLERS_NODES = 3;

function show(label: string, values: number[]): string {
  const f = (v: number) => v.toFixed(1).padStart(7);
  return (
    `${label.padEnd(40)} p50 ${f(median(values))} ms  p99 ${f(percentile(values, 99))} ms  ` +
    `max ${f(Math.max(...values))} ms`
  );
}

interface Topology {
  label: string;
  run(rounds: number): Promise<WatchLatency>;
  /** The label its figures are also pooled under. */
  pool?: string;
}

async function main(): Promise<void> {
  const began = performance.now();
  console.log(`Node ${process.version}, ${cpus().length} cores, load average ${loadAverage()}`);
  const dev = await startConsul();
  const clusters: ConsulCluster[] = [];
  try {
    for (const raftMultiplier of MULTIPLIERS)
      clusters.push(await startConsulCluster({ nodes: 1 + CALLERS_NODES, raftMultiplier }));
    const topologies: Topology[] = [{ label: '-dev', run: (rounds) => watchLatency(dev, rounds) }];
    clusters.forEach((cluster, i) => {
      const [own, ...callers] = cluster.clients;
      for (const at of callers)
        topologies.push({
          label: `raft_multiplier ${MULTIPLIERS[i]}, via ${at.node}`,
          pool: `raft_multiplier ${MULTIPLIERS[i]}, all`,
          run: (rounds) => watchLatency(own!, rounds, at),
        });
    });
    const figures = new Map<string, WatchLatency>();
    const add = (label: string, { appearMs, disappearMs }: WatchLatency) => {
      const into = figures.get(label) ?? { appearMs: [], disappearMs: [] };
      into.appearMs.push(...appearMs);
      into.disappearMs.push(...disappearMs);
      figures.set(label, into);
    };
    for (let done = 0; done < ROUNDS; done += BATCH) {
      for (const topology of topologies) {
        const latency = await topology.run(Math.min(BATCH, ROUNDS - done));
        add(topology.label, latency);
        if (topology.pool) add(topology.pool, latency);
      }
    }
    console.log(`\n== deregistered at node-1's agent → a ServiceClient drops it; ${ROUNDS} rounds each ==`);
    for (const [label, latency] of figures) console.log(show(label, latency.disappearMs));
    console.log(`\n== its check passes → the ServiceClient lists it ==`);
    for (const [label, latency] of figures) console.log(show(label, latency.appearMs));
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
    await dev.stop();
  }
  console.log(`\ndone in ${Math.round((performance.now() - began) / 1000)} s  load average ${loadAverage()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
