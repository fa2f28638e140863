import type { ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import {
  createGrpcApp,
  grpcClient,
  type GrpcApp,
  type GrpcTestClient,
  type ServingStatusName,
} from '../support/grpc-app';
import { waitFor } from '../support/http-client';
import { tryConnect } from '../support/server-process';

const base: GracefulOptions = { exit: false, signals: [], advertiseHost: '127.0.0.1', stopTimeout: 5_000 };

/** Every status a Watch stream receives, and a way to wait for one. */
function watch(client: GrpcTestClient, service = '') {
  const statuses: ServingStatusName[] = [];
  const call = client.health.Watch({ service });
  const ended = new Promise<string>((resolve) => {
    call.on('error', (error: ServiceError) => resolve(`error ${error.code}`));
    call.on('end', () => resolve('end'));
  });
  call.on('data', (message: { status: ServingStatusName }) => statuses.push(message.status));
  return {
    statuses,
    ended,
    until: (status: ServingStatusName) => waitFor(() => statuses.includes(status), 10_000, `Watch ${status}`),
  };
}

describe('a hybrid app with a gRPC microservice (grpc-js client)', () => {
  let started: GrpcApp | undefined;
  let client: GrpcTestClient | undefined;
  afterEach(async () => {
    client?.close();
    client = undefined;
    if (started && started.app.get(GracefulLifecycle).state !== 'stopped') await started.app.close();
    started = undefined;
  });

  async function start(
    options: GracefulOptions = {},
    interceptor = false,
  ): Promise<GrpcApp & { lifecycle: GracefulLifecycle }> {
    started = await createGrpcApp({ ...base, ...options }, { interceptor });
    client = grpcClient(`127.0.0.1:${started.grpcPort}`);
    return { ...started, lifecycle: started.app.get(GracefulLifecycle) };
  }

  it(
    'health: SERVING while ready; a Watch subscriber sees ' + 'NOT_SERVING from phase 1, before the listener closes',
    async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const { app, grpcPort, lifecycle } = await start({ beforeStop: () => held });
      await waitFor(() => lifecycle.state === 'ready', 5_000, 'ready');
      expect(await client!.check()).toBe('SERVING');
      expect(await client!.check('orders.Orders')).toBe('SERVING');
      await expect(client!.check('no.Such')).rejects.toMatchObject({ code: 5 });
      const watcher = watch(client!);
      await watcher.until('SERVING');
      const closing = app.close();
      await watcher.until('NOT_SERVING');
      // Phase 2 (beforeStop) holds the stop: the listener is still open, calls still answered.
      expect(await tryConnect(grpcPort)).toBe('connected');
      expect(await client!.check()).toBe('NOT_SERVING');
      expect(await client!.get({ id: 1, ms: 1 })).toMatchObject({ id: 1, row: 'row' });
      release();
      await closing;
      expect(watcher.statuses).toEqual(['SERVING', 'NOT_SERVING']);
      expect(await watcher.ended).toBe('end');
      expect(await tryConnect(grpcPort)).toBe('ECONNREFUSED');
    },
  );

  it('a Watch on a service it does not serve gets SERVICE_UNKNOWN; NOT_SERVING before ready', async () => {
    const { lifecycle } = await start({
      readiness: 'registered',
      registrarTimeout: 200,
      registrar: { register: () => new Promise(() => undefined), deregister: async () => undefined },
    });
    expect(lifecycle.state).toBe('starting');
    expect(await client!.check()).toBe('NOT_SERVING');
    const unknown = watch(client!, 'no.Such');
    await unknown.until('SERVICE_UNKNOWN');
  });

  it(
    'unary and server-streaming calls in flight when the ' + 'stop begins complete; the pool closes after them',
    async () => {
      const { app, db, lifecycle } = await start();
      const unary = client!.get({ id: 7, ms: 400 });
      const stream = client!.stream({ id: 8, ms: 80, count: 5 });
      await waitFor(() => db.entered >= 2, 5_000, 'both handlers');
      const closing = app.close();
      expect(lifecycle.state).toBe('draining');
      expect(await unary).toMatchObject({ id: 7, row: 'row' });
      expect((await stream).map((o) => o.seq)).toEqual([0, 1, 2, 3, 4]);
      await closing;
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [] });
      expect(lifecycle.report!.drained).toBeGreaterThanOrEqual(2);
    },
  );

  it('a call behind GracefulInterceptor counts once: the participant tracks it, the interceptor does not', async () => {
    const { app, db, lifecycle } = await start({}, true);
    const unary = client!.get({ id: 3, ms: 300 });
    await waitFor(() => db.entered === 1, 5_000, 'the handler');
    const closing = app.close();
    expect(await unary).toMatchObject({ id: 3, row: 'row' });
    await closing;
    expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [], drained: 1 });
  });

  it('refuses calls after phase 5 while the calls in flight finish', async () => {
    const { app, grpcPort, db } = await start();
    const inFlight = client!.get({ id: 1, ms: 500 });
    await waitFor(() => db.entered === 1, 5_000, 'the first handler');
    const closing = app.close();
    // A connection queued in the kernel as the listener closes is reset; then they are refused.
    let connection = 'connected';
    for (let attempt = 0; attempt < 1_000 && connection !== 'ECONNREFUSED'; attempt++)
      connection = await tryConnect(grpcPort);
    expect(connection).toBe('ECONNREFUSED');
    // A new channel cannot reach the closed port; the call fails before any handler runs.
    const late = grpcClient(`127.0.0.1:${grpcPort}`);
    const error = await late.get({ id: 2, ms: 1 }).catch((e: ServiceError) => e);
    late.close();
    expect(error).toMatchObject({ code: 14 });
    expect(await inFlight).toMatchObject({ id: 1, row: 'row' });
    await closing;
    expect(db.entered).toBe(1);
  });

  it('cancels a call still running at stopTimeout and names it in the report', async () => {
    const { app, db, lifecycle } = await start({ stopTimeout: 300, abortGrace: 50 });
    const stuck = client!.get({ id: 9, ms: 60_000 }).catch((e: ServiceError) => e);
    await waitFor(() => db.entered === 1, 5_000, 'the handler');
    await app.close();
    expect(await stuck).toMatchObject({ code: 1 });
    expect(lifecycle.report).toMatchObject({
      exitCode: 1,
      aborted: [expect.objectContaining({ kind: 'rpc', name: 'gRPC /orders.Orders/Get' })],
    });
  });

  it(
    'a microservice-only app (createMicroservice) watched ' + 'before listen(): health and in-flight calls alike',
    async () => {
      started = await createGrpcApp({ ...base }, { standalone: true });
      client = grpcClient(`127.0.0.1:${started.grpcPort}`);
      const { app, db } = started;
      const lifecycle = app.get(GracefulLifecycle);
      expect(await client.check('orders.Orders')).toBe('SERVING');
      const unary = client.get({ id: 3, ms: 300 });
      await waitFor(() => db.entered === 1, 5_000, 'the handler');
      const closing = app.close();
      expect(await unary).toMatchObject({ id: 3, row: 'row' });
      await closing;
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [] });
    },
  );

  it(
    'a microservice connected after start-up: phase 5 finds it ' +
      'and drains its calls by connection, and they complete',
    async () => {
      started = await createGrpcApp({ ...base }, { late: true });
      client = grpcClient(`127.0.0.1:${started.grpcPort}`);
      const { app, db } = started;
      const unary = client.get({ id: 4, ms: -1 });
      await waitFor(() => db.entered === 1, 5_000, 'the handler');
      const closing = app.close();
      // Released once phase 5 closed the port, so that the call ends during the drain.
      let connection = 'connected';
      for (let attempt = 0; attempt < 1_000 && connection !== 'ECONNREFUSED'; attempt++)
        connection = await tryConnect(started.grpcPort);
      expect(connection).toBe('ECONNREFUSED');
      db.open();
      await closing;
      expect(await unary).toMatchObject({ id: 4, row: 'row' });
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      const report = app.get(GracefulLifecycle).report;
      expect(report).toMatchObject({ exitCode: 0, aborted: [] });
      // One unit per connection open when it was found (the client may hold more than one).
      expect(report!.drained).toBeGreaterThanOrEqual(1);
    },
  );
});
