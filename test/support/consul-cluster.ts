import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsulAgent, reserveConsulPorts, startConsul } from './consul-agent';
import { eventually } from './consul-watch';
import { alive } from './server-process';

/** One agent of a {@link ConsulCluster}: a server, or the client agent of one simulated node. */
export interface ClusterAgent extends ConsulAgent {
  /** Its node name: `server-1`…, `node-1`…. */
  readonly node: string;
  /** The loopback address it binds and serves on. */
  readonly host: string;
  readonly server: boolean;
}

/**
 * Consul as fleets run it, on loopback: 3 servers (`-server -bootstrap-expect 3`) and a client
 * agent per simulated node, each with its own address and data dir, joined with `-retry-join`.
 */
export interface ConsulCluster {
  readonly servers: readonly ClusterAgent[];
  /** The client agents, one per node: an app registers with its own, callers read through theirs. */
  readonly clients: readonly ClusterAgent[];
  readonly agents: readonly ClusterAgent[];
  /** The server the cluster's leader is, as a running agent sees it. */
  leader(): Promise<ClusterAgent>;
  /** Resolves once a running agent names a leader other than `previous` (e.g. after killing it). */
  newLeader(previous: ClusterAgent): Promise<ClusterAgent>;
  /** Resolves once there is a leader and every running agent sees every other one alive, and the catalog lists it. */
  formed(): Promise<void>;
  /** SIGKILLs every agent and removes the data dirs. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Client agents, one per simulated node; default 2. */
  nodes?: number;
  /**
   * Scales Raft's timings (elections, heartbeats); default 1, as Consul recommends for production servers (its own
   * default, 5, is for small VMs). It did not change how late followers show a change (bench:consul, docs/registry.md).
   */
  raftMultiplier?: number;
  /** Limit for the cluster to form; default 60 s (three servers and their elections on a loaded 2-core machine). */
  readyTimeoutMs?: number;
}

const SERVERS = 3;

/**
 * A random 127.A.B.0 block, one address per agent in it: on Linux the whole 127/8 is loopback, so
 * every agent can use the same ports, and two clusters started at once (a test file and a bench)
 * never meet, since none binds 127.0.0.1 where the ports were found free.
 */
function addressBlock(): (n: number) => string {
  const a = 1 + Math.floor(Math.random() * 254);
  const b = Math.floor(Math.random() * 255);
  return (n) => `127.${a}.${b}.${n}`;
}

/** What a running agent answers, or undefined if it does not (killed, paused, restarting). */
async function ask<T>(agent: ConsulAgent, path: string): Promise<T | undefined> {
  try {
    return await agent.get<T>(path, { timeoutMs: 2_000 });
  } catch {
    return undefined;
  }
}

/** Whether the agent's process runs (not killed); a paused one does. */
const running = (agent: ConsulAgent): boolean => agent.pid > 0 && alive(agent.pid);

/** Starts the servers and the client agents at once and resolves once the cluster has formed. */
export async function startConsulCluster(options: StartClusterOptions = {}): Promise<ConsulCluster> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const ports = await reserveConsulPorts();
  const address = addressBlock();
  const serverHosts = Array.from({ length: SERVERS }, (_, i) => address(i + 1));
  const joins = serverHosts.flatMap((host) => ['-retry-join', `${host}:${ports.serf_lan}`]);
  const dataDirs: string[] = [];
  const plan = [
    ...serverHosts.map((host, i) => ({ host, node: `server-${i + 1}`, server: true })),
    ...Array.from({ length: options.nodes ?? 2 }, (_, i) => ({
      host: address(SERVERS + i + 1),
      node: `node-${i + 1}`,
      server: false,
    })),
  ];
  const started = await Promise.allSettled(
    plan.map(async ({ host, node, server }): Promise<ClusterAgent> => {
      const dataDir = await mkdtemp(join(tmpdir(), `consul-${node}-`));
      dataDirs.push(dataDir);
      const agentArgs = [...(server ? ['-server', '-bootstrap-expect', String(SERVERS)] : []), '-node', node];
      // A failed join is retried every 200 ms, not 30 s: the agents start together, in any order.
      agentArgs.push('-data-dir', dataDir, ...joins, '-retry-interval', '200ms');
      const agent = await startConsul({
        host,
        ports,
        agentArgs,
        readyTimeoutMs,
        extraHcl: `performance { raft_multiplier = ${options.raftMultiplier ?? 1} }`,
      });
      return Object.assign(agent, { node, host, server });
    }),
  );
  const agents = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    // SIGKILL, not a graceful leave: a client agent leaving once the servers are gone waits 3.5 s for them.
    for (const agent of agents) if (running(agent)) agent.kill('SIGKILL');
    // stop() waits for the exit (and kills what the line above missed).
    await Promise.all(agents.map((agent) => agent.stop()));
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }

  const byHost = (raftAddress: string | undefined) =>
    agents.find((a) => a.server && raftAddress !== undefined && raftAddress.startsWith(`${a.host}:`));
  const seenLeader = async (): Promise<ClusterAgent | undefined> => {
    for (const agent of agents.filter(running)) {
      const leader = byHost(await ask<string>(agent, '/v1/status/leader'));
      if (leader && running(leader)) return leader;
    }
    return undefined;
  };
  const tails = () => agents.map((a) => `--- ${a.node} (${a.host}):\n${a.logTail(10)}`).join('\n');
  const within = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    try {
      return await eventually(what, probe, readyTimeoutMs, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${tails()}`, { cause: err });
    }
  };

  const formed = async () => {
    await within('a leader and every running agent alive in every member list and in the catalog', async () => {
      const live = agents.filter(running);
      const names = live.map((a) => a.node);
      if (!(await seenLeader())) return undefined;
      for (const agent of live) {
        const members = await ask<{ Name: string; Status: number }[]>(agent, '/v1/agent/members');
        // Serf's status 1: alive.
        if (!members || !names.every((n) => members.some((m) => m.Name === n && m.Status === 1))) return undefined;
      }
      const nodes = await ask<{ Node: string }[]>(live[0]!, '/v1/catalog/nodes');
      return nodes && names.every((n) => nodes.some((c) => c.Node === n)) ? true : undefined;
    });
  };
  const cluster: ConsulCluster = {
    servers: agents.filter((a) => a.server),
    clients: agents.filter((a) => !a.server),
    agents,
    leader: () => within('a leader', seenLeader),
    newLeader: (previous) =>
      within(`a leader other than ${previous.node}`, async () => {
        const leader = await seenLeader();
        return leader === previous ? undefined : leader;
      }),
    formed,
    stop,
  };
  try {
    await formed();
  } catch (err) {
    await stop();
    throw err;
  }
  return cluster;
}
