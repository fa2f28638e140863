import { describe, expect, it } from 'vitest';
import { clusterFleet } from '../support/cluster-fleet';
import { figureOf, killLeader, restartAgent, slowDown, stopUnderFault } from '../support/cluster-faults';
import type { ClusterAgent } from '../support/consul-cluster';
import { cleanupAfterEach, clusterForSuite } from '../support/consul-suite';
import { startSlowProxy } from '../support/slow-proxy';

const deregisterPhase = (stop: { report: { phases: readonly { phase: string }[] } }) =>
  stop.report.phases.find((p) => p.phase === 'deregister');

/**
 * Issue 18's faults during a rolling restart, in a real cluster (3 servers, a client agent per
 * node): the stopping instance registered with node-1's agent, a second one with node-2's, and
 * callers looping through a ServiceClient that watches through node-3's agent. The instance has
 * shutdownDelay 1 s and the default registrarTimeout (3 s).
 */
describe('a nestjs-graceful instance stopping in a Consul cluster while something fails', () => {
  const suite = clusterForSuite();
  const later = cleanupAfterEach();

  /** SIGTERM to an instance that reaches its agent through a link turned slow (`delay` each way) just before. */
  async function stopBehindSlowLink(delay: number, registrarTimeout?: number) {
    const own = suite.cluster.clients[0] as ClusterAgent;
    const proxy = await startSlowProxy(own.httpAddr);
    later(() => proxy.close());
    const fleet = await clusterFleet(suite.cluster, later, {
      platform: 'express',
      ownAddress: proxy.httpAddr,
      registrarTimeout,
    });
    const stop = await stopUnderFault(fleet, slowDown(proxy, delay));
    console.log(figureOf(`slow-agent-${delay}ms express`, stop));
    return stop;
  }

  it(
    'the leader killed just before SIGTERM (back once the instance exited): the deregistration waits for a new ' +
      'leader and removes the instance from the catalog before the stop goes on; 0 failed requests',
    async () => {
      // registrarTimeout above the election: the catalog changes only once a new leader exists (measured here
      // 2.5 to 3.3 s after SIGTERM with raft_multiplier 1, so the default 3 s bound is too short for this test).
      const fleet = await clusterFleet(suite.cluster, later, { platform: 'express', registrarTimeout: 20_000 });
      const stop = await stopUnderFault(fleet, killLeader(suite.cluster));
      // Before the catalog step: the agent answered 200 to a deregistration it could not sync to the dead leader,
      // the stop exited 0 with the catalog still listing the instance (until the agent's next sync, 2 to over 60 s
      // later), and callers met the closed listener. Now the report's ok means the catalog no longer lists it. When
      // the callers see that depends on their own agent: one whose server was the killed leader showed it 4.5 s
      // after the catalog had it once (CI), after the close: so the figure is printed, not asserted.
      console.log(figureOf('leader-killed express', stop));
      expect(deregisterPhase(stop)).toMatchObject({ ok: true });
      expect(stop.listedAtExit).toBe(false);
      expect(stop.failures).toEqual([]);
      expect(stop.ok).toBeGreaterThan(0);
      expect(stop.code).toBe(0);
    },
    120_000,
  );

  it(
    "the callers' agent stopped and starting again at SIGTERM: the callers keep their last list meanwhile, then " +
      'drop the instance; 0 failed requests',
    async () => {
      const fleet = await clusterFleet(suite.cluster, later, { platform: 'express' });
      const stop = await stopUnderFault(fleet, restartAgent(suite.cluster, fleet.callers));
      console.log(figureOf('callers-agent-restarted express', stop));
      expect(fleet.logger.lines.some((l) => /"cluster-\w+" \(2 instances\) is stale for/.test(l.message))).toBe(true);
      expect(fleet.logger.lines.some((l) => /removed .*-2 /.test(l.message))).toBe(false);
      expect(stop.failures).toEqual([]);
      expect(stop.ok).toBeGreaterThan(0);
      expect(stop.code).toBe(0);
    },
    120_000,
  );

  it(
    'the link to its own agent slow (1 s each way) from just before SIGTERM: the deregistration (the agent, then ' +
      "the catalog read through it) takes 4 s and succeeds; the instance leaves the callers' view before its " +
      'listener closes, 0 failed requests',
    async () => {
      // Two round trips of 2 s: more than the default registrarTimeout (3 s), which would fail the phase (exit 1).
      const stop = await stopBehindSlowLink(1_000, 10_000);
      expect(deregisterPhase(stop)).toMatchObject({ ok: true });
      expect(stop.droppedBeforeCloseMs).toBeGreaterThan(0);
      expect(stop.failures).toEqual([]);
      expect(stop.ok).toBeGreaterThan(0);
      expect(stop.code).toBe(0);
    },
    120_000,
  );

  it(
    'the link to its own agent slower than registrarTimeout + shutdownDelay (5 s each way): the deregistration ' +
      'times out (exit code 1), the listener closes before the agent gets it; 0 failed requests thanks to retries',
    async () => {
      const stop = await stopBehindSlowLink(5_000);
      expect(deregisterPhase(stop)).toMatchObject({ ok: false, error: 'timed out after 3000 ms' });
      expect(stop.report.failure).toBe('phase-failed');
      expect(stop.code).toBe(1);
      expect(stop.failures).toEqual([]);
      expect(stop.ok).toBeGreaterThan(0);
    },
    120_000,
  );
});
