import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsulAgent, startConsul } from '../support/consul-agent';
import { eventually, healthEntries, waitForPassing } from '../support/consul-watch';
import { spawnFixture, type SpawnedApp } from '../support/spawn-app';

/**
 * The slow one (~90 s), in its own file so it runs beside the others: an app killed with
 * SIGKILL never deregisters; its TTL check turns critical and Consul itself removes it after
 * `deregisterCriticalServiceAfter` (minimum 60 s; the agent reaps every 30 s).
 */
describe('an app killed with SIGKILL, against a real Consul agent', () => {
  let agent: ConsulAgent;
  let app: SpawnedApp | undefined;

  beforeAll(async () => {
    agent = await startConsul();
  }, 60_000);

  afterAll(async () => {
    app?.kill('SIGKILL');
    await agent?.stop();
  });

  it('turns critical once the TTL expires and is removed by Consul after deregisterCriticalServiceAfter', async () => {
    const ttl = 2_000;
    const deregisterCriticalServiceAfter = 60_000;
    const reapInterval = 30_000;
    const name = `reap-${randomUUID().slice(0, 8)}`;
    const id = `${name}-1`;
    app = await spawnFixture({
      platform: 'express',
      options: {
        name,
        id,
        consul: { address: agent.httpAddr, check: { type: 'ttl', ttl }, deregisterCriticalServiceAfter },
      },
    });
    await waitForPassing(agent, name, id);

    const killedAt = performance.now();
    app.kill('SIGKILL');
    expect((await app.exited).signal).toBe('SIGKILL');

    const statusOf = async () => {
      const entry = (await healthEntries(agent, name)).find((e) => e.Service.ID === id);
      return entry?.Checks.find((c) => c.CheckID === `service:${id}`)?.Status;
    };
    await eventually(
      'the TTL check to turn critical',
      async () => ((await statusOf()) === 'critical' ? true : undefined),
      ttl + 30_000,
      50,
    );
    const criticalAt = performance.now();
    expect(await healthEntries(agent, name, true)).toEqual([]);

    await eventually(
      'Consul to remove the critical instance',
      async () => ((await healthEntries(agent, name)).some((e) => e.Service.ID === id) ? undefined : true),
      deregisterCriticalServiceAfter + reapInterval + 15_000,
      250,
    );
    const removedAt = performance.now();

    const criticalMs = Math.round(criticalAt - killedAt);
    const reapMs = Math.round(removedAt - killedAt);
    console.log(`FIGURE consul-critical-ms=${criticalMs}`);
    console.log(`FIGURE consul-reap-ms=${reapMs}`);
    // Not before the critical period has passed (how soon after is Consul's reap timing: a figure, not a bound).
    expect(removedAt - criticalAt).toBeGreaterThanOrEqual(deregisterCriticalServiceAfter - 1_000);
  }, 150_000);
});
