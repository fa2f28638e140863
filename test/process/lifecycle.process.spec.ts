import { afterEach, describe, expect, it } from 'vitest';
import { get, waitFor } from '../support/http-client';
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
  it(
    'exits with code 1 once teardownTimeout passes when an ' +
      'onModuleDestroy never ends, after afterStop and the report',
    async () => {
      const app = await start({ options: { teardownTimeout: 500 }, hangTeardown: true });
      const signalled = performance.now();
      app.kill('SIGTERM');
      const { code, at } = await app.exited;
      expect(code).toBe(1);
      expect(at - signalled).toBeGreaterThanOrEqual(450);
      expect(app.output()).toContain('EVENT teardown-hangs');
      expect(app.output()).toMatch(/teardown failed after \d+ ms: timed out after 500 ms/);
      const report = JSON.parse(/stop report (\{.*\})/.exec(app.output())![1]!) as {
        exitCode: number;
        phases: Array<{ phase: string }>;
      };
      expect(report.exitCode).toBe(1);
      expect(report.phases.map((p) => p.phase).slice(-2)).toEqual(['teardown', 'release']);
    },
  );

  it(
    'with two apps on different signals, a signal stops only its ' +
      'app and the process exits once the last one stopped',
    async () => {
      const app = await start({
        options: { name: 'first', signals: ['SIGTERM'] },
        second: { name: 'second', signals: ['SIGUSR2'] },
      });
      const secondPort = Number(/^SECOND (\d+)$/m.exec(app.output())![1]);
      app.kill('SIGTERM');
      await app.waitForLine(/not exiting yet: second still running or stopping/);
      expect(app.output()).toMatch(/stop report \{"app":"first"/);
      // The second app still serves, and is ready.
      expect((await get(secondPort, '/ping')).status).toBe(200);
      app.kill('SIGUSR2');
      const { code } = await app.exited;
      expect(code).toBe(0);
      expect(app.output()).toMatch(/stop report \{"app":"second"/);
    },
  );

  it("with exit: false on the first app, the second app's own first signal is not a second signal", async () => {
    const app = await start({
      options: { name: 'first', signals: ['SIGTERM'], exit: false },
      second: { name: 'second', signals: ['SIGUSR2'] },
    });
    app.kill('SIGTERM');
    await app.waitForLine(/stop report \{"app":"first"/);
    app.kill('SIGUSR2');
    const { code } = await app.exited;
    expect(code).toBe(0);
    expect(app.output()).toMatch(/stop report \{"app":"second".*"exitCode":0/);
    expect(app.output()).not.toMatch(/second stop signal/);
  });

  it('with two apps, runs both sequences on one SIGTERM and exits once both have finished', async () => {
    const app = await start({ options: { name: 'first' }, second: { name: 'second' } });
    const secondPort = Number(/^SECOND (\d+)$/m.exec(app.output())![1]);
    const held = get(secondPort, '/gated');
    await app.waitForLine(/^EVENT entered 1$/);
    app.kill('SIGTERM');
    // Released once both listeners closed, so that it ends during the second app's drain.
    await waitFor(
      () => (app.output().match(/close done in \d+ ms/g) ?? []).length === 2,
      20_000,
      'both apps to close their listeners',
    );
    app.kill('SIGUSR2');
    expect((await held).status).toBe(200);
    const { code } = await app.exited;
    expect(code).toBe(0);
    const reports = [...app.output().matchAll(/stop report (\{.*\})/g)].map(
      (m) => JSON.parse(m[1]!) as { app: string; drained: number },
    );
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
