import type { StopReport } from '../../src/lifecycle/stop-report';
import { callersLoop } from './callers-loop';
import type { ClusterFleet } from './cluster-fleet';
import type { ClusterAgent, ConsulCluster } from './consul-cluster';
import type { SpawnedApp } from './spawn-app';
import { whenRefused } from './consul-watch';
import type { SlowProxy } from './slow-proxy';
import { stopReportOf } from './stop-report';

/**
 * A fault injected into a cluster just before `stopping` gets SIGTERM (issue 18's scenarios).
 * Resolves with what undoes it, which the caller runs once the stop is measured.
 */
export type ClusterFault = (stopping: SpawnedApp) => Promise<() => Promise<void>>;

/** What one stop under a fault came to, timed from the SIGTERM. */
export interface FaultedStop {
  /** Until the callers' client logged the instance removed. */
  sigtermToDroppedMs: number;
  /** From the callers dropping it until its listener refused connections: negative when they dropped it later. */
  droppedBeforeCloseMs: number;
  /** SIGTERM to exit. */
  stopMs: number;
  code: number | null;
  /**
   * Whether the servers' catalog still listed the instance when it exited (a consistent read through
   * the callers' agent); null when it could not be read then.
   */
  listedAtExit: boolean | null;
  report: StopReport;
  /** Requests answered 200 / failed (status or error) / answered only after the client sent them again. */
  ok: number;
  failures: readonly string[];
  retried: number;
}

/**
 * The cluster's leader killed (SIGKILL): the others elect a new one. It is started again once the
 * instance exited, as a supervisor restarts a server: its return makes every client agent sync in
 * full. Without it, the deregistration that the stopping instance's agent failed to sync waited
 * for the agent's periodic full sync (over 60 s in one bench round; docs/registry.md).
 */
export const killLeader =
  (cluster: ConsulCluster): ClusterFault =>
  async (stopping) => {
    const leader = await cluster.leader();
    leader.kill('SIGKILL');
    const back = stopping.exited.then(() => leader.restart());
    return async () => {
      await back;
      await cluster.formed();
    };
  };

/** An agent killed (SIGKILL), as a crashed node's agent; undone by restarting it. */
export const killAgent =
  (cluster: ConsulCluster, agent: ClusterAgent): ClusterFault =>
  () => {
    agent.kill('SIGKILL');
    return Promise.resolve(async () => {
      await agent.restart();
      await cluster.formed();
    });
  };

/**
 * An agent restarted: stopped (SIGTERM: it leaves the cluster and exits), then started again on
 * its data dir. Resolves once it exited; the SIGTERM that follows falls while it starts again.
 */
export const restartAgent =
  (cluster: ConsulCluster, agent: ClusterAgent): ClusterFault =>
  async () => {
    await agent.stop();
    const restarted = agent.restart();
    return async () => {
      await restarted;
      await cluster.formed();
    };
  };

/** The link to an agent turned slow: `ms` each way from now on. */
export const slowDown =
  (proxy: SlowProxy, ms: number): ClusterFault =>
  () => {
    proxy.delayMs = ms;
    return Promise.resolve(() => {
      proxy.delayMs = 0;
      return Promise.resolve();
    });
  };

/**
 * Callers loop through the fleet's client; `fault` is injected, then `${name}-1` gets SIGTERM.
 * Resolves once it exited and the callers dropped it; the fault is undone after, pass or fail.
 */
export async function stopUnderFault(fleet: ClusterFleet, fault: ClusterFault): Promise<FaultedStop> {
  const { name, stopping, logger, client } = fleet;
  const load = callersLoop(client);
  const closed = whenRefused(stopping.port, 60_000, 5);
  const undo = await fault(stopping);
  try {
    const sigterm = performance.now();
    stopping.kill('SIGTERM');
    const exited = stopping.exited.then(async (exit) => ({ ...exit, listedAtExit: await listedInCatalog(fleet) }));
    const dropped = await logger.waitFor(new RegExp(`removed ${name}-1 `), 60_000);
    const { code, at: exitedAt, listedAtExit } = await exited;
    const refusedAt = await closed;
    await load.stop();
    return {
      sigtermToDroppedMs: Math.round(dropped.at - sigterm),
      droppedBeforeCloseMs: Math.round(refusedAt - dropped.at),
      stopMs: Math.round(exitedAt - sigterm),
      code,
      listedAtExit,
      report: stopReportOf(stopping.output()),
      ok: load.ok,
      failures: load.failures,
      retried: load.retried,
    };
  } finally {
    await load.stop();
    await undo();
  }
}

/** Whether the servers' catalog lists the stopping instance now: null if it cannot be read. */
async function listedInCatalog({ callers, name }: ClusterFleet): Promise<boolean | null> {
  try {
    const entries = await callers.get<{ ServiceID: string }[]>(`/v1/catalog/service/${name}?consistent`);
    return entries.some((entry) => entry.ServiceID === `${name}-1`);
  } catch {
    return null;
  }
}

/** The FIGURE line of one stop. */
export const figureOf = (label: string, s: FaultedStop): string =>
  `FIGURE cluster ${label} stop-ms=${s.stopMs} sigterm-to-dropped-ms=${s.sigtermToDroppedMs} ` +
  `dropped-before-close-ms=${s.droppedBeforeCloseMs} exit=${s.code} ok=${s.ok} failed=${s.failures.length} ` +
  `retried=${s.retried} listed-at-exit=${s.listedAtExit} ` +
  `deregister=${JSON.stringify(s.report.phases.find((p) => p.phase === 'deregister'))}`;
