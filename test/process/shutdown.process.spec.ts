import { Agent } from 'node:http';
import { KEEP_ALIVE_WINDOW_MS } from '../../src/drain/http-connections';
import { afterEach, describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { keepAliveLoad } from '../support/keep-alive-load';
import { spawnFixture, type SpawnedApp } from '../support/spawn-app';
import type { Platform } from '../support/test-app';

const running = new Set<SpawnedApp>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

async function start(platform: Platform, options: object): Promise<SpawnedApp> {
  const app = await spawnFixture({ platform, options });
  running.add(app);
  return app;
}

const reportOf = (output: string) =>
  JSON.parse(/stop report (\{.*\})/.exec(output)![1]!) as {
    exitCode: number;
    drained: number;
    totalMs: number;
    phases: Array<{ phase: string; ms: number }>;
  };

describe.each<Platform>(['express', 'fastify'])('a real %s process and a real SIGTERM', (platform) => {
  it('lets 100 concurrent slow requests finish with 200 before onModuleDestroy', async () => {
    const app = await start(platform, {});
    const replies = Array.from({ length: 100 }, () => get(app.port, '/gated'));
    await app.waitForLine(/^EVENT entered 100$/, 5_000);
    app.kill('SIGTERM');
    // Held until the listener closed: all 100 end during the drain, so all 100 count as drained.
    await app.waitForLine(/close done in \d+ ms/);
    app.kill('SIGUSR2');
    const results = await Promise.all(replies);
    const { code } = await app.exited;
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(code).toBe(0);
    // Every query ran: one after the pool closed would have thrown and failed its request.
    expect(/EVENT db-closed queries=(\d+)/.exec(app.output())?.[1]).toBe('100');
    expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 100 });
  });

  it('keep-alive clients looping through the stop see no failure; new connections are refused', async () => {
    const app = await start(platform, { shutdownDelay: 300 });
    const load = keepAliveLoad(app.port, '/slow?ms=2', 16, 8_000);
    await load.answered(100);
    app.kill('SIGTERM');
    const result = await load.finished;
    expect((await app.exited).code).toBe(0);
    expect(result.failures).toEqual([]);
    expect(result.refused).toBe(16);
    expect(reportOf(app.output())).toMatchObject({ exitCode: 0 });
  });

  it('exits within stopTimeout + 1 s of the drain start with a stuck request, names it, exit code 1', async () => {
    const app = await start(platform, { stopTimeout: 1_000 });
    const stuck = get(app.port, '/stuck').catch((error: Error) => error);
    await app.waitForLine(/./);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const signalled = performance.now();
    app.kill('SIGTERM');
    const { code, at } = await app.exited;
    expect(at - signalled).toBeLessThan(2_000);
    expect(code).toBe(1);
    expect(app.output()).toMatch(/aborted http GET \/stuck after \d+ ms/);
    expect(await stuck).toBeInstanceOf(Error);
  });

  it('does not hold the exit for a keep-alive connection idle for longer than its window', async () => {
    // The delay outlasts KEEP_ALIVE_WINDOW_MS: at phase 5 the connection is idle for longer, so it gets the short grace.
    const app = await start(platform, { shutdownDelay: KEEP_ALIVE_WINDOW_MS });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(app.port, '/ping', agent)).status).toBe(200);
    app.kill('SIGTERM');
    const { code } = await app.exited;
    agent.destroy();
    expect(code).toBe(0);
    // Closed after IDLE_SOCKET_GRACE_MS; held for its window, the drain would take about KEEP_ALIVE_WINDOW_MS.
    const drain = reportOf(app.output()).phases.find((p) => p.phase === 'drain');
    expect(drain?.ms).toBeLessThan(KEEP_ALIVE_WINDOW_MS / 2);
  });

  it('a second SIGTERM forces the exit; a repeat within the window does not', async () => {
    const forced = await start(platform, { stopTimeout: 10_000, signalRepeatWindow: 300 });
    void get(forced.port, '/stuck').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    forced.kill('SIGTERM');
    await forced.waitForLine(/draining 1 unit/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = performance.now();
    forced.kill('SIGTERM');
    const exit = await forced.exited;
    expect(exit.code).toBe(1);
    expect(exit.at - second).toBeLessThan(500);
    expect(forced.output()).toMatch(/second stop signal SIGTERM/);

    const repeated = await start(platform, { signalRepeatWindow: 300 });
    const slow = get(repeated.port, '/slow?ms=600');
    await new Promise((resolve) => setTimeout(resolve, 100));
    repeated.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 20));
    repeated.kill('SIGTERM');
    expect((await slow).status).toBe(200);
    expect((await repeated.exited).code).toBe(0);
    expect(repeated.output()).toMatch(/SIGTERM repeated \d+ ms after the first .*ignored/);
  });
});
