import { randomUUID } from 'node:crypto';
import { ServiceClient } from '../../src/discovery/service-client';
import { ConsulDiscovery } from '../../src/registry/consul/consul-discovery';
import type { ClusterAgent, ConsulCluster } from './consul-cluster';
import { RecordingLogger } from './consul-events';
import { type SpawnedApp, spawnFixture } from './spawn-app';

/** Two instances of one fresh service and a client of it, in a {@link ConsulCluster} of 3 client agents. */
export interface ClusterFleet {
  readonly name: string;
  /** node-1's agent, the stopping instance's own. */
  readonly own: ClusterAgent;
  /** node-3's agent, the one the callers read through. */
  readonly callers: ClusterAgent;
  /** `${name}-1`, on node-1 (through `ownAddress` if given). */
  readonly stopping: SpawnedApp;
  readonly logger: RecordingLogger;
  readonly client: ServiceClient;
}

export interface ClusterFleetOptions {
  platform: 'express' | 'fastify';
  /** Where the stopping instance finds its agent, e.g. a proxy before it; default node-1's HTTP address. */
  ownAddress?: string;
  /** The stopping instance's registrarTimeout (the deregistration's bound); the library's default if unset. */
  registrarTimeout?: number;
  /** The directory holding build/ (spawnFixture's `root`), for callers compiled into build/ such as the benches. */
  root?: string;
}

/**
 * `${name}-1` registered with node-1's agent, `${name}-2` with node-2's, and a ServiceClient
 * watching through node-3's; resolves once the client lists both. `later` gets the cleanups.
 */
export async function clusterFleet(
  cluster: ConsulCluster,
  later: (cleanup: () => unknown) => void,
  { platform, ownAddress, registrarTimeout, root }: ClusterFleetOptions,
): Promise<ClusterFleet> {
  const [own, other, callers] = cluster.clients as [ClusterAgent, ClusterAgent, ClusterAgent];
  const name = `cluster-${randomUUID().slice(0, 8)}`;
  const spawn = async (n: number, address: string, bound?: number) => {
    const options = {
      name,
      id: `${name}-${n}`,
      consul: { address },
      shutdownDelay: 1_000,
      ...(bound === undefined ? {} : { registrarTimeout: bound }),
    };
    const app = await spawnFixture({ platform, options }, root === undefined ? undefined : { root });
    later(() => app.kill('SIGKILL'));
    return app;
  };
  const stopping = await spawn(1, ownAddress ?? own.httpAddr, registrarTimeout);
  await spawn(2, other.httpAddr);
  const logger = new RecordingLogger();
  const discovery = new ConsulDiscovery({ address: callers.httpAddr, logger });
  const client = new ServiceClient(name, discovery, {}, logger);
  later(() => discovery.close());
  later(() => client.close());
  await logger.waitFor(/: 2 instances/, 30_000);
  return { name, own, callers, stopping, logger, client };
}
