import { ServiceClient } from '../src/discovery';
import { ConsulDiscovery } from '../src/registry/consul/consul-discovery';
import type { ConsulAgent } from '../test/support/consul-agent';
import { consulPut, RecordingLogger, startInstanceServer } from '../test/support/consul-events';

export interface WatchLatency {
  appearMs: number[];
  disappearMs: number[];
}

/**
 * `rounds` times: an instance's TTL check passes, then it is deregistered; each time the ms
 * until a service client lists it, then drops it (its log line). Blocking queries park for
 * 10 minutes, so only the change itself can wake them. The instance is registered at `agent`
 * and the client reads through `watchAt`: in a cluster, another node's agent.
 */
export async function watchLatency(agent: ConsulAgent, rounds: number, watchAt = agent): Promise<WatchLatency> {
  const logger = new RecordingLogger();
  const discovery = new ConsulDiscovery({ address: watchAt.httpAddr, wait: 600_000, logger });
  const name = `latency-${process.pid}`;
  const client = new ServiceClient(name, discovery, {}, logger);
  const server = await startInstanceServer(`${name}-0`);
  const result: WatchLatency = { appearMs: [], disappearMs: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      const id = `${name}-${round}`;
      await consulPut(agent, '/agent/service/register', {
        ID: id,
        Name: name,
        Address: '127.0.0.1',
        Port: server.port,
        Check: { CheckID: `service:${id}`, Name: 'ttl', TTL: '600s' },
      });
      let from = logger.lines.length;
      const passAt = performance.now();
      await consulPut(agent, `/agent/check/pass/service:${id}`);
      result.appearMs.push((await logger.waitFor(new RegExp(`added ${id} `), 10_000, from)).at - passAt);
      from = logger.lines.length;
      const deregisterAt = performance.now();
      await consulPut(agent, `/agent/service/deregister/${id}`);
      result.disappearMs.push((await logger.waitFor(new RegExp(`removed ${id} `), 10_000, from)).at - deregisterAt);
    }
  } finally {
    await client.close();
    await discovery.close();
    await server.close();
  }
  return result;
}
