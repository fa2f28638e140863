import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceClient } from '../../src/discovery/service-client';
import { ConsulDiscovery } from '../../src/registry/consul/consul-discovery';
import { type ClusterAgent, type ConsulCluster, startConsulCluster } from '../support/consul-cluster';
import { RecordingLogger } from '../support/consul-events';
import { callersLoop } from '../support/callers-loop';
import { cleanupAfterEach } from '../support/consul-suite';
import { healthEntries, waitForPassing, whenRefused } from '../support/consul-watch';
import { spawnFixture } from '../support/spawn-app';
import { stopReportOf } from '../support/stop-report';

/**
 * Consul as fleets run it (issue 18): 3 servers and a client agent per node, on loopback. Each
 * instance registers with its own node's agent; the callers watch through a third node's agent,
 * so what they see is what the servers committed after that agent synced it.
 */
describe('a nestjs-graceful instance in a Consul cluster (3 servers, a client agent per node)', () => {
  let cluster: ConsulCluster;
  const later = cleanupAfterEach();

  beforeAll(async () => {
    cluster = await startConsulCluster({ nodes: 3 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Two instances of a fresh service, on node-1 and node-2, and a ServiceClient reading through node-3. */
  async function fleet(platform: 'express' | 'fastify') {
    const [own, other, callers] = cluster.clients as [ClusterAgent, ClusterAgent, ClusterAgent];
    const name = `cluster-${randomUUID().slice(0, 8)}`;
    const spawn = async (n: number, agent: ClusterAgent) => {
      const id = `${name}-${n}`;
      const app = await spawnFixture({
        platform,
        options: { name, id, consul: { address: agent.httpAddr }, shutdownDelay: 1_000 },
      });
      later(() => app.kill('SIGKILL'));
      return app;
    };
    const stopping = await spawn(1, own);
    await spawn(2, other);
    const logger = new RecordingLogger();
    const discovery = new ConsulDiscovery({ address: callers.httpAddr, logger });
    const client = new ServiceClient(name, discovery, {}, logger);
    later(() => discovery.close());
    later(() => client.close());
    await logger.waitFor(/: 2 instances/, 30_000);
    return { name, own, callers, stopping, logger, client };
  }

  it.each(['express', 'fastify'] as const)(
    '%s: registered with its own node agent, seen passing through another node; after SIGTERM it leaves the ' +
      "callers' view before its listener closes, 0 failed requests",
    async (platform) => {
      const { name, own, callers, stopping, logger, client } = await fleet(platform);
      const seen = await waitForPassing(callers, name, `${name}-1`);
      const entry = (await healthEntries(callers, name)).find((e) => e.Service.ID === `${name}-1`) as unknown as {
        Node: { Node: string };
      };
      expect(entry.Node.Node).toBe(own.node);
      expect(seen.Checks.every((c) => c.Status === 'passing')).toBe(true);

      const load = callersLoop(client);
      const closed = whenRefused(stopping.port, 30_000, 5);
      const sigterm = performance.now();
      stopping.kill('SIGTERM');
      const dropped = await logger.waitFor(new RegExp(`removed ${name}-1 `), 30_000);
      const refusedAt = await closed;
      const { code } = await stopping.exited;
      await load.stop();
      const { ok, failures } = load;
      const report = stopReportOf(stopping.output());

      console.log(
        `FIGURE cluster ${platform} sigterm-to-dropped-ms=${(dropped.at - sigterm).toFixed(0)} ` +
          `dropped-before-close-ms=${(refusedAt - dropped.at).toFixed(0)} ok=${ok} failed=${failures.length}`,
      );
      expect(report.phases.find((p) => p.phase === 'deregister')).toMatchObject({ ok: true });
      expect(dropped.at).toBeLessThan(refusedAt);
      expect(code).toBe(0);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(0);
      expect(await healthEntries(callers, name)).toHaveLength(1);
    },
    90_000,
  );

  it.each(['express', 'fastify'] as const)(
    "%s: its own node's agent killed just before SIGTERM: the stop stays bounded and reports the failed " +
      "deregistration (exit code 1); the instance leaves the callers' view when the servers find the node failed",
    async (platform) => {
      const { name, own, stopping, logger, client } = await fleet(platform);
      const load = callersLoop(client);
      const closed = whenRefused(stopping.port, 60_000, 5);
      own.kill('SIGKILL');
      later(async () => {
        await own.restart();
        await cluster.formed();
      });
      const sigterm = performance.now();
      stopping.kill('SIGTERM');
      const { code, at: exitedAt } = await stopping.exited;
      const refusedAt = await closed;
      const dropped = await logger.waitFor(new RegExp(`removed ${name}-1 `), 60_000);
      await load.stop();
      const { ok, failures } = load;
      const report = stopReportOf(stopping.output());

      console.log(
        `FIGURE cluster own-agent-killed ${platform} stop-ms=${(exitedAt - sigterm).toFixed(0)} ` +
          `sigterm-to-dropped-ms=${(dropped.at - sigterm).toFixed(0)} ` +
          `dropped-after-close-ms=${(dropped.at - refusedAt).toFixed(0)} ok=${ok} failed=${failures.length}`,
      );
      expect(report.phases.find((p) => p.phase === 'deregister')).toMatchObject({ ok: false });
      expect(report.exitCode).toBe(1);
      expect(code).toBe(1);
      expect(failures).toEqual([]);
    },
    120_000,
  );

  it('the fixture: every agent is a member; the leader killed, another is elected; restarted, it rejoins', async () => {
    const [probe] = cluster.clients as [ClusterAgent];
    const members = await probe.get<{ Name: string; Status: number }[]>('/v1/agent/members');
    expect(members.map((m) => `${m.Name} ${m.Status}`).sort()).toEqual(cluster.agents.map((a) => `${a.node} 1`).sort());
    const leader = await cluster.leader();
    expect(leader.server).toBe(true);
    leader.kill('SIGKILL');
    later(async () => {
      await leader.restart();
      await cluster.formed();
    });
    const next = await cluster.newLeader(leader);
    expect(next.server).toBe(true);
    expect(next).not.toBe(leader);
  });
});
