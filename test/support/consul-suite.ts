import { afterAll, afterEach, beforeAll } from 'vitest';
import { type ConsulAgent, startConsul, type StartConsulOptions } from './consul-agent';
import { type ConsulCluster, startConsulCluster } from './consul-cluster';

/**
 * A real agent for the describe block this is called in: started before its tests (60 s
 * allowed; the global setup found or built the binary), stopped after them.
 */
export function consulForSuite(options: StartConsulOptions = {}): { readonly agent: ConsulAgent } {
  const suite = {} as { agent: ConsulAgent };
  beforeAll(async () => {
    suite.agent = await startConsul(options);
  }, 60_000);
  afterAll(async () => {
    await suite.agent?.stop();
  });
  return suite;
}

/** A real cluster (3 servers, a client agent per node) for the describe block, as {@link consulForSuite}. */
export function clusterForSuite(nodes = 3): { readonly cluster: ConsulCluster } {
  const suite = {} as { cluster: ConsulCluster };
  beforeAll(async () => {
    suite.cluster = await startConsulCluster({ nodes });
  }, 120_000);
  afterAll(async () => {
    await suite.cluster?.stop();
  });
  return suite;
}

/** Cleanups a test registers as it goes; they run in reverse order after it, pass or fail. */
export function cleanupAfterEach(): (cleanup: () => unknown) => void {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}
