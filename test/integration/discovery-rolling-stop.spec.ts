import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ServiceClient } from '../../src/discovery/service-client';
import { ConsulDiscovery } from '../../src/registry/consul/consul-discovery';
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

  it.each(['express', 'fastify'] as const)('%s: the instance leaves the client before its listener closes; 0 failed requests', async (platform) => {
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
    let running = true;
    const failures: string[] = [];
    let ok = 0;
    const loop = async () => {
      for (let i = 0; running && i < 20_000; i++) {
        try {
          const response = await client.request({ path: '/ping' });
          await response.body.text();
          if (response.statusCode === 200) ok++;
          else failures.push(`status ${response.statusCode}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    const closed = whenRefused(stopping.port, 10_000, 5);
    stopping.kill('SIGTERM');
    const dropped = await logger.waitFor(new RegExp(`removed ${name}-1 `));
    const refusedAt = await closed;
    const { code } = await stopping.exited;
    running = false;
    await Promise.all(loops);

    console.log(`FIGURE ${platform} requests-during-stop ok=${ok} failed=${failures.length} dropped-before-close-ms=${(refusedAt - dropped.at).toFixed(0)}`);
    expect(dropped.at).toBeLessThan(refusedAt);
    expect(code).toBe(0);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
  }, 60_000);
});
