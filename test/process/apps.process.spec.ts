import { afterEach, describe, expect, it } from 'vitest';
import { get } from '../support/http-client';
import { spawnApp, type SpawnedApp } from '../support/spawn-app';
import type { Platform } from '../support/test-app';

const running = new Set<SpawnedApp>();
afterEach(() => {
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

/** test/fixtures/apps.ts with these apps, in this order; resolves once all listen. */
async function start(apps: object[]): Promise<SpawnedApp> {
  const app = await spawnApp('test/fixtures/apps.js', { FIXTURE: JSON.stringify({ apps }) });
  running.add(app);
  return app;
}

const portOf = (app: SpawnedApp, name: string) =>
  Number(new RegExp(`^PORT ${name} (\\d+)$`, 'm').exec(app.output())![1]);

interface Report {
  app: string;
  exitCode: number;
  drained: number;
  aborted: Array<{ kind: string; name: string }>;
  phases: Array<{ phase: string; ok: boolean; error?: string }>;
}

const reports = (app: SpawnedApp) =>
  [...app.output().matchAll(/stop report (\{.*\})/g)].map((m) => JSON.parse(m[1]!) as Report);

describe('several apps in one process and a real SIGTERM', () => {
  it.each<Platform>(['express', 'fastify'])(
    'an app its own code stops (signals: [], app.close() on SIGTERM) drains its request before teardown; the exit ' +
      'waits for it (%s)',
    async (platform) => {
      const app = await start([
        { name: 'first', platform },
        { name: 'second', platform, options: { signals: [] }, closeOnSigterm: true },
      ]);
      const held = get(portOf(app, 'second'), '/gated');
      await app.waitForLine(/^EVENT entered 1$/);
      app.kill('SIGTERM');
      await app.waitForLine(/stop report \{"app":"first"/);
      await app.waitForLine(/not exiting yet: second still running or stopping/);
      app.kill('SIGUSR2');
      expect((await held).status).toBe(200);
      const { code } = await app.exited;
      expect(code).toBe(0);
      expect(reports(app).map((r) => [r.app, r.exitCode])).toEqual([
        ['first', 0],
        ['second', 0],
      ]);
      expect(reports(app)[1]!.drained).toBe(1);
      // The pool closed after its query: the drain ran before the teardown.
      expect(app.output()).toMatch(/EVENT db-closed queries=1 /);
    },
  );

  it(
    "exits with the code of every app's stop: 1 when the other app's stop aborted a request, though the signalled " +
      'one ended 0',
    async () => {
      const app = await start([
        { name: 'first' },
        { name: 'second', options: { signals: [], stopTimeout: 200, abortGrace: 0 }, closeOnSigterm: true },
      ]);
      // Held at the gate, which this test never opens: cut at stopTimeout.
      const stuck = get(portOf(app, 'second'), '/gated').catch((error: Error) => error);
      await app.waitForLine(/^EVENT entered 1$/);
      app.kill('SIGTERM');
      const { code } = await app.exited;
      expect(await stuck).toBeInstanceOf(Error);
      expect(reports(app).map((r) => [r.app, r.exitCode])).toEqual([
        ['first', 0],
        ['second', 1],
      ]);
      expect(reports(app)[1]!.aborted).toEqual([expect.objectContaining({ kind: 'http', name: 'GET /gated' })]);
      expect(code).toBe(1);
    },
  );
});

describe('a failed teardown hook and work begun after the drain, with a real SIGTERM', () => {
  it(
    'an onModuleDestroy that throws fails the teardown phase in the report, with its error; the later hooks still ' +
      'run; exit 1',
    async () => {
      const app = await start([{ name: 'svc', destroyThrows: true }]);
      app.kill('SIGTERM');
      const { code } = await app.exited;
      const [report] = reports(app);
      expect(report!.phases.find((p) => p.phase === 'teardown')).toMatchObject({
        ok: false,
        error: 'ThrowingDestroy.onModuleDestroy() failed: cache refused to flush',
      });
      expect(report!.exitCode).toBe(1);
      expect(app.output()).toContain('EVENT db-closed');
      expect(app.output()).toContain('EVENT shutdown-hook-ran');
      expect(code).toBe(1);
    },
  );

  it(
    'WorkTracker.track() from onApplicationShutdown throws to its caller, saying why and what to do; the report ' +
      'lists the job as aborted; exit 1',
    async () => {
      const app = await start([{ name: 'svc', lateWork: true }]);
      app.kill('SIGTERM');
      const { code } = await app.exited;
      expect(app.output()).toMatch(
        /EVENT refused nestjs-graceful: work "late-job" begun after the drain ended was refused: .*await the work/,
      );
      const [report] = reports(app);
      expect(report!.aborted).toEqual([{ kind: 'background', name: 'late-job', ageMs: 0 }]);
      expect(report!.phases.find((p) => p.phase === 'teardown')).toMatchObject({
        ok: false,
        error: expect.stringContaining('LateWork.onApplicationShutdown() failed'),
      });
      expect(code).toBe(1);
    },
  );
  it("a job that gives up (abandon()) while the drain ends in time is in the report's aborted; exit 1", async () => {
    const app = await start([{ name: 'svc', abandonOnStop: true }]);
    app.kill('SIGTERM');
    const { code } = await app.exited;
    expect(app.output()).toContain('EVENT job-abandoned');
    const [report] = reports(app);
    expect(report!.phases.find((p) => p.phase === 'drain')).toMatchObject({ ok: true });
    expect(report!.aborted).toEqual([{ kind: 'background', name: 'export-job', ageMs: expect.any(Number) }]);
    expect(report!.exitCode).toBe(1);
    expect(code).toBe(1);
  });
});
