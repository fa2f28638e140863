import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ServiceClient } from '../../src/discovery/service-client';
import type { ServiceClientOptions } from '../../src/discovery/service-client-options';
import { ConsulDiscovery } from '../../src/registry/consul/consul-discovery';
import { callersLoop } from '../support/callers-loop';
import { RecordingLogger } from '../support/consul-events';
import { cleanupAfterEach, consulForSuite } from '../support/consul-suite';
import { waitForPassing, whenRefused } from '../support/consul-watch';
import { spawnFixture } from '../support/spawn-app';

/**
 * The loop closed: two nestjs-graceful apps registered in a real Consul suite.agent, callers
 * looping through a ServiceClient, SIGTERM to one. The client drops the stopping instance
 * before its listener closes (deregister → shutdownDelay → close), and no request fails.
 */
describe('a ServiceClient while a nestjs-graceful instance stops (real suite.agent, real signals)', () => {
  const suite = consulForSuite();
  const later = cleanupAfterEach();

  it.each(['express', 'fastify'] as const)(
    '%s: the instance leaves the client before its listener closes; 0 failed requests',
    async (platform) => {
      const name = `fleet-${randomUUID().slice(0, 8)}`;
      const spawn = async (n: number) => {
        const app = await spawnFixture({
          platform,
          options: { name, id: `${name}-${n}`, consul: { address: suite.agent.httpAddr }, shutdownDelay: 300 },
        });
        later(() => app.kill('SIGKILL'));
        await waitForPassing(suite.agent, name, `${name}-${n}`);
        return app;
      };
      const stopping = await spawn(1);
      await spawn(2);
      const logger = new RecordingLogger();
      const discovery = new ConsulDiscovery({ address: suite.agent.httpAddr, logger });
      const client = new ServiceClient(name, discovery, {}, logger);
      later(() => discovery.close());
      later(() => client.close());
      await logger.waitFor(/: 2 instances/);

      // Looping callers, bounded in count; they run until the stopped app has exited.
      const load = callersLoop(client);
      const closed = whenRefused(stopping.port, 10_000, 5);
      stopping.kill('SIGTERM');
      const dropped = await logger.waitFor(new RegExp(`removed ${name}-1 `));
      const refusedAt = await closed;
      const { code } = await stopping.exited;
      await load.stop();
      const { ok, failures } = load;

      console.log(
        `FIGURE ${platform} requests-during-stop ok=${ok} failed=${failures.length} ` +
          `dropped-before-close-ms=${(refusedAt - dropped.at).toFixed(0)}`,
      );
      expect(dropped.at).toBeLessThan(refusedAt);
      expect(code).toBe(0);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(0);
    },
    60_000,
  );

  /**
   * The service's only instance restarts the way a process manager does it: SIGTERM, wait for
   * the exit, start the new one (new id, new port). Callers loop through the whole restart.
   */
  async function restartTheOnlyInstance(platform: 'express' | 'fastify', clientOptions: ServiceClientOptions) {
    const name = `single-${randomUUID().slice(0, 8)}`;
    const spawn = async (n: number) => {
      const app = await spawnFixture({
        platform,
        options: { name, id: `${name}-${n}`, consul: { address: suite.agent.httpAddr }, shutdownDelay: 300 },
      });
      later(() => app.kill('SIGKILL'));
      return app;
    };
    const old = await spawn(1);
    await waitForPassing(suite.agent, name, `${name}-1`);
    const logger = new RecordingLogger();
    const discovery = new ConsulDiscovery({ address: suite.agent.httpAddr, logger });
    const client = new ServiceClient(name, discovery, clientOptions, logger);
    later(() => discovery.close());
    later(() => client.close());
    await logger.waitFor(/: 1 instances/);

    const load = callersLoop(client);
    const { failures, servedBy } = load;
    const started = performance.now();
    old.kill('SIGTERM');
    const dropped = await logger.waitFor(new RegExp(`removed ${name}-1 `));
    expect((await old.exited).code).toBe(0);
    await spawn(2);
    const back = await logger.waitFor(new RegExp(`added ${name}-2 `), 60_000);
    // Callers go on until the new instance has served some of them.
    while ((servedBy.get(`${name}-2`) ?? 0) < 50 && failures.length < 1_000) await new Promise((r) => setImmediate(r));
    await load.stop();
    const figure = `restart-ms=${(back.at - started).toFixed(0)} no-passing-ms=${(back.at - dropped.at).toFixed(0)}`;
    return { name, failures, servedBy, figure };
  }

  it.each(['express', 'fastify'] as const)(
    '%s: the only instance restarts (stop, then start); the client keeps using it while it serves, then waits for ' +
      'its successor: 0 failed calls',
    async (platform) => {
      // A window and timeout far above a restart on a loaded machine: the mechanism is tested here, the default in the
      // README.
      const { name, failures, servedBy, figure } = await restartTheOnlyInstance(platform, {
        fallbackWindow: 60_000,
        timeout: 60_000,
      });
      console.log(
        `FIGURE ${platform} single-instance-restart ok-old=${servedBy.get(`${name}-1`)} ` +
          `ok-new=${servedBy.get(`${name}-2`)} failed=${failures.length} ${figure}`,
      );
      expect(failures).toEqual([]);
      expect(servedBy.get(`${name}-1`)).toBeGreaterThan(0);
      expect(servedBy.get(`${name}-2`)).toBeGreaterThanOrEqual(50);
    },
    120_000,
  );

  it(
    'express, fallbackWindow: 0 (an instance dropped the ' + 'moment it leaves): the same restart fails calls',
    async () => {
      const { failures, figure } = await restartTheOnlyInstance('express', { fallbackWindow: 0 });
      console.log(`FIGURE express single-instance-restart-without-fallback failed=${failures.length} ${figure}`);
      expect(failures.length).toBeGreaterThan(0);
      expect(failures[0]).toContain('no instance is passing its checks');
    },
    120_000,
  );
});
