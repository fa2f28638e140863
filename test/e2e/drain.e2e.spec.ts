import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import { DrainService } from '../../src/drain/drain.service';
import { gracefulTestingOptions } from '../../src/testing';
import { FakeDbPool } from '../support/fake-db';
import { get, waitFor } from '../support/http-client';
import { createTestApp, type Platform } from '../support/test-app';

const base: GracefulOptions = gracefulTestingOptions({ advertiseHost: '127.0.0.1', stopTimeout: 5_000 });

describe.each<Platform>(['express', 'fastify'])('drain on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
  });

  async function listen(options = {}): Promise<{ port: number; db: FakeDbPool; lifecycle: GracefulLifecycle }> {
    app = await createTestApp(platform, { ...base, ...options });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { port, db: app.get(FakeDbPool), lifecycle: app.get(GracefulLifecycle) };
  }

  it('lets 100 in-flight requests finish before onModuleDestroy closes the pool', async () => {
    const { port, db, lifecycle } = await listen();
    expect(lifecycle.state).toBe('ready');
    const replies = Array.from({ length: 100 }, () => get(port, '/gated'));
    await waitFor(() => db.entered === 100, 5_000, '100 requests in their handler');
    const closing = app!.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lifecycle.state).toBe('draining');
    // Held until the listener closed: all 100 end during the drain, so all 100 count as drained.
    await waitFor(() => !app!.getHttpServer().listening, 5_000, 'the listener to close');
    db.open();
    const results = await Promise.all(replies);
    await closing;
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(db.queries).toBe(100);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.state).toBe('stopped');
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 100, aborted: [] });
  });

  it('waits for a request a guard is still rejecting: it is tracked at the server, not by an interceptor', async () => {
    const { port, lifecycle } = await listen();
    const denied = get(port, '/guarded');
    await waitFor(() => app!.get(FakeDbPool).entered === 1, 10_000, 'the guarded request');
    expect(app!.get(DrainService).inFlight).toBe(1);
    const closing = app!.close();
    await waitFor(() => !app!.getHttpServer().listening, 10_000, 'phase 5 to close the listener');
    app!.get(FakeDbPool).open();
    await closing;
    expect((await denied).status).toBe(403);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1 });
  });

  it('waits for background work registered with track()', async () => {
    const { port, db, lifecycle } = await listen();
    expect((await get(port, '/background?ms=-1')).body).toBe('started');
    const closing = app!.close();
    await waitFor(() => !app!.getHttpServer().listening, 5_000, 'phase 5 to close the listener');
    expect(db.queries).toBe(0);
    db.open();
    await closing;
    expect(db.queries).toBe(1);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.report?.drained).toBe(1);
  });

  it('aborts a stuck request at stopTimeout, names it and reports exit code 1', async () => {
    const { port, lifecycle } = await listen({ stopTimeout: 300, abortGrace: 50 });
    const stuck = get(port, '/stuck').catch((error: Error) => error);
    await waitFor(() => app!.get(DrainService).inFlight === 1, 10_000, 'the stuck request');
    await app!.close();
    expect(lifecycle.report?.phases.map((p) => p.phase)).toContain('abort');
    expect(await stuck).toBeInstanceOf(Error);
    expect(lifecycle.report?.exitCode).toBe(1);
    expect(lifecycle.report?.aborted).toEqual([expect.objectContaining({ kind: 'http', name: 'GET /stuck' })]);
  });
});
