import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { KEEP_ALIVE_WINDOW_MS } from '../../src/drain/http-grace.constants';
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

  it('aborts a stuck request at stopTimeout, names it in the log and the report, exit code 1', async () => {
    const app = await start(platform, { stopTimeout: 1_000 });
    const stuck = get(app.port, '/gated').catch((error: Error) => error);
    await app.waitForLine(/^EVENT entered 1$/);
    app.kill('SIGTERM');
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.output()).toMatch(/aborted http GET \/gated after \d+ ms/);
    const report = reportOf(app.output());
    expect(report.phases.find((p) => p.phase === 'drain')?.ms).toBeGreaterThanOrEqual(1_000);
    expect(report.phases.map((p) => p.phase)).toContain('abort');
    expect(await stuck).toBeInstanceOf(Error);
  });

  it('closes a keep-alive connection idle for longer than its window without waiting for it, exit 0', async () => {
    // The delay outlasts KEEP_ALIVE_WINDOW_MS: at phase 5 the connection is idle for longer, so it gets the
    // short grace (its timing is unit-tested in http-connections.spec.ts). Held instead, the deadline would cut it.
    const app = await start(platform, { shutdownDelay: KEEP_ALIVE_WINDOW_MS, stopTimeout: 60_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // The socket the agent keeps for the next request, and whether the server closed it cleanly.
    const socketClosed = new Promise<boolean>((resolve) =>
      agent.once('free', (socket: Socket) => socket.once('close', (hadError: boolean) => resolve(hadError))),
    );
    expect((await get(app.port, '/ping', agent)).status).toBe(200);
    app.kill('SIGTERM');
    const { code } = await app.exited;
    agent.destroy();
    expect(code).toBe(0);
    expect(await socketClosed).toBe(false);
    expect(reportOf(app.output()).phases.map((p) => p.phase)).not.toContain('abort');
  });

  it('a second SIGTERM past the repeat window forces the exit', async () => {
    const app = await start(platform, { stopTimeout: 60_000, signalRepeatWindow: 300 });
    void get(app.port, '/gated').catch(() => undefined);
    await app.waitForLine(/^EVENT entered 1$/);
    app.kill('SIGTERM');
    // Logged a second into the drain: the 300 ms window has passed.
    await app.waitForLine(/still draining 1 unit/);
    app.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(app.output()).toMatch(/second stop signal SIGTERM/);
    // Forced, not cut at the deadline: the abort phase never ran.
    expect(app.output()).not.toMatch(/aborted http/);
  });

  it('a repeat of the signal within the window is ignored and the drain goes on', async () => {
    const app = await start(platform, { signalRepeatWindow: 20_000 });
    const held = get(app.port, '/gated');
    await app.waitForLine(/^EVENT entered 1$/);
    app.kill('SIGTERM');
    // Handled before the next is sent: the kernel merges a signal sent while the same one is pending.
    await app.waitForLine(/stop \(SIGTERM\): readiness down/);
    app.kill('SIGTERM');
    await app.waitForLine(/SIGTERM repeated \d+ ms after the first .*ignored/);
    // Released once the listener closed, so that it counts as drained.
    await app.waitForLine(/close done in \d+ ms/);
    app.kill('SIGUSR2');
    expect((await held).status).toBe(200);
    expect((await app.exited).code).toBe(0);
    expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 1 });
  });
});
