import { afterEach, describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { spawnFixture, type SpawnedApp } from '../support/spawn-app';

const running = new Set<SpawnedApp>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

async function start(config: object): Promise<SpawnedApp> {
  const app = await spawnFixture({ platform: 'express', ...config });
  running.add(app);
  return app;
}

describe('a real process', () => {
  it('exits with code 1 once teardownTimeout passes when an onModuleDestroy never ends', async () => {
    const app = await start({ options: { teardownTimeout: 500 }, hangTeardown: true });
    const signalled = performance.now();
    app.kill('SIGTERM');
    const { code, at } = await app.exited;
    expect(code).toBe(1);
    expect(at - signalled).toBeGreaterThanOrEqual(450);
    expect(at - signalled).toBeLessThan(1_500);
    expect(app.output()).toContain('EVENT teardown-hangs');
    expect(app.output()).toMatch(/teardown did not finish within 500 ms \(teardownTimeout\) in state stopping: exiting with code 1/);
  });

  it('with two apps, runs both sequences on one SIGTERM and exits once both have finished', async () => {
    const app = await start({ options: { name: 'first' }, second: { name: 'second' } });
    const secondPort = Number(/^SECOND (\d+)$/m.exec(app.output())![1]);
    const slow = get(secondPort, '/slow?ms=800');
    await new Promise((resolve) => setTimeout(resolve, 150));
    app.kill('SIGTERM');
    expect((await slow).status).toBe(200);
    const { code } = await app.exited;
    expect(code).toBe(0);
    const reports = [...app.output().matchAll(/stop report (\{.*\})/g)].map((m) => JSON.parse(m[1]!) as { app: string; drained: number });
    expect(reports.map((r) => r.app).sort()).toEqual(['first', 'second']);
    expect(reports.find((r) => r.app === 'second')?.drained).toBe(1);
    expect(app.output()).not.toMatch(/MaxListenersExceeded/);
  });

  it('runs the hooks in kratos order around the teardown, and names a hook that times out', async () => {
    const app = await start({ options: { hookTimeout: 200 }, hooks: true });
    app.kill('SIGTERM');
    const { code } = await app.exited;
    const order = [...app.output().matchAll(/^EVENT (hook \w+|db-closed)/gm)].map((m) => m[1]);
    expect(order).toEqual(['hook beforeStart', 'hook afterStart', 'hook beforeStop', 'db-closed', 'hook afterStop']);
    expect(app.output()).toMatch(/beforeStop\[1\] hook timed out after 200 ms \(hookTimeout\)/);
    expect(code).toBe(1);
  });
});
