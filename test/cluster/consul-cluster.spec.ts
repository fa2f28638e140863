import { describe, expect, it } from 'vitest';
import type { ClusterAgent } from '../support/consul-cluster';
import { callersLoop } from '../support/callers-loop';
import { figureOf, killAgent, stopUnderFault } from '../support/cluster-faults';
import { clusterFleet } from '../support/cluster-fleet';
import { cleanupAfterEach, clusterForSuite } from '../support/consul-suite';
import { healthEntries, waitForPassing, whenRefused } from '../support/consul-watch';
import { stopReportOf } from '../support/stop-report';

/**
 * Consul as fleets run it (issue 18): 3 servers and a client agent per node, on loopback. Each
 * instance registers with its own node's agent; the callers watch through a third node's agent,
 * so what they see is what the servers committed after that agent synced it.
 */
describe('a nestjs-graceful instance in a Consul cluster (3 servers, a client agent per node)', () => {
  const suite = clusterForSuite();
  const later = cleanupAfterEach();

  it.each(['express', 'fastify'] as const)(
    '%s: registered with its own node agent, seen passing through another node; after SIGTERM it leaves the ' +
      "callers' view before its listener closes, 0 failed requests",
    async (platform) => {
      const { name, own, callers, stopping, logger, client } = await clusterFleet(suite.cluster, later, { platform });
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
      const fleet = await clusterFleet(suite.cluster, later, { platform });
      const stop = await stopUnderFault(fleet, killAgent(suite.cluster, fleet.own));
      // The callers drop it 4.5-7 s after SIGTERM, after its listener closed: 0 failed thanks to retries (retried=).
      console.log(figureOf(`own-agent-killed ${platform}`, stop));
      expect(stop.report.phases.find((p) => p.phase === 'deregister')).toMatchObject({ ok: false });
      expect(stop.report.exitCode).toBe(1);
      expect(stop.code).toBe(1);
      expect(stop.failures).toEqual([]);
    },
    120_000,
  );

  it('the fixture: every agent is a member; the leader killed, another is elected; restarted, it rejoins', async () => {
    const [probe] = suite.cluster.clients as [ClusterAgent];
    const members = await probe.get<{ Name: string; Status: number }[]>('/v1/agent/members');
    expect(members.map((m) => `${m.Name} ${m.Status}`).sort()).toEqual(
      suite.cluster.agents.map((a) => `${a.node} 1`).sort(),
    );
    const leader = await suite.cluster.leader();
    expect(leader.server).toBe(true);
    leader.kill('SIGKILL');
    later(async () => {
      await leader.restart();
      await suite.cluster.formed();
    });
    const next = await suite.cluster.newLeader(leader);
    expect(next.server).toBe(true);
    expect(next).not.toBe(leader);
  });
});
