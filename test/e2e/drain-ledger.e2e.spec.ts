import { Logger, type INestApplication } from '@nestjs/common';
import { Agent } from 'node:http';
import { Server as NetServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import { DrainLedger } from '../../src/drain/drain-ledger';
import { DrainService } from '../../src/drain/drain.service';
import { FakeDbPool } from '../support/fake-db';
import { get, waitFor, type Reply } from '../support/http-client';
import { createTestApp, type Platform } from '../support/test-app';

const base: GracefulOptions = { exit: false, signals: [], advertiseHost: '127.0.0.1', stopTimeout: 5_000 };

/** A raw connection and everything it received, complete once the server closed it. */
function rawConnection(port: number): { socket: Socket; received: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  return { socket, received: new Promise((resolve) => socket.once('close', () => resolve(text))) };
}

describe.each<Platform>(['express', 'fastify'])('drain ledger on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
  });

  async function listen(options: GracefulOptions = {}) {
    app = await createTestApp(platform, { ...base, ...options });
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as NetServer;
    return {
      server,
      port: (server.address() as AddressInfo).port,
      db: app.get(FakeDbPool),
      lifecycle: app.get(GracefulLifecycle),
      drain: app.get(DrainService),
    };
  }

  it('serves a request sent on a keep-alive connection in its grace; the pool closes after it', async () => {
    const { server, port, db, lifecycle } = await listen();
    let connections = 0;
    server.on('connection', () => connections++);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(port, '/ping', agent)).status).toBe(200);
    let second: Promise<Reply> | undefined;
    const close = NetServer.prototype.close;
    vi.spyOn(NetServer.prototype, 'close').mockImplementation(function (this: NetServer, ...args) {
      const closed = close.apply(this, args);
      // Phase 5 just closed the listener: the idle connection is in its grace. Sent now, the
      // request is in the server's socket buffer before any grace timer can run.
      second ??= get(port, '/slow?ms=300', agent);
      return closed;
    });
    await app!.close();
    const reply = await second!;
    agent.destroy();
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect(connections).toBe(1);
    expect(db.queries).toBe(1);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
  });

  it('waits for the handler of a request whose client went away: the pool closes only after its query', async () => {
    const { server, port, db, lifecycle, drain } = await listen();
    const client = rawConnection(port);
    client.socket.write(`GET /gated HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await waitFor(() => db.entered === 1, 5_000, 'the handler');
    client.socket.destroy();
    await client.received;
    const closing = app!.close();
    await waitFor(() => !server.listening, 5_000, 'phase 5 to close the listener');
    // The handler still runs: its unit is open although its response can no longer be sent.
    expect(drain.inFlight).toBe(1);
    db.open();
    await closing;
    expect(db.queries).toBe(1);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
  });

  it('waits for a job that a request in flight when the drain begins tracks later', async () => {
    const { server, port, db, lifecycle } = await listen();
    const reply = get(port, '/chained?then=300');
    await waitFor(() => db.entered === 1, 5_000, 'the request in its handler');
    const closing = app!.close();
    // The request ends, and its job begins, only once the drain is under way.
    await waitFor(() => !server.listening, 5_000, 'the listener to close');
    db.open();
    await closing;
    expect((await reply).body).toBe('started');
    expect(db.queries).toBe(2);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 2, aborted: [] });
  });

  it('reports one served request as drained and the stuck one as aborted', async () => {
    const { server, port, db, lifecycle } = await listen({ stopTimeout: 500, abortGrace: 50 });
    const ledger = app!.get(DrainLedger);
    const served = get(port, '/gated');
    const stuck = get(port, '/stuck').catch((error: Error) => error);
    await waitFor(
      () => db.entered === 1 && [...ledger.units()].some((u) => u.name === 'GET /stuck'),
      5_000,
      'both requests',
    );
    const closing = app!.close();
    await waitFor(() => !server.listening, 5_000, 'the listener to close');
    db.open();
    await closing;
    expect((await served).status).toBe(200);
    expect(await stuck).toBeInstanceOf(Error);
    expect(lifecycle.report).toMatchObject({
      exitCode: 1,
      drained: 1,
      aborted: [{ kind: 'http', name: 'GET /stuck', ageMs: expect.any(Number) }],
    });
  });

  it('reports two never-ending jobs as aborted and nothing as drained', async () => {
    const { port, lifecycle } = await listen({ stopTimeout: 300, abortGrace: 50 });
    expect((await get(port, '/forever?n=2')).body).toBe('started');
    await app!.close();
    expect(lifecycle.report).toMatchObject({
      exitCode: 1,
      drained: 0,
      aborted: [
        { kind: 'background', name: 'forever', ageMs: expect.any(Number) },
        { kind: 'background', name: 'forever', ageMs: expect.any(Number) },
      ],
    });
  });

  it(
    'twelve jobs listening to their draining signal, as the ' + 'README shows, print no MaxListenersExceededWarning',
    async () => {
      const { port, db, lifecycle } = await listen();
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        expect((await get(port, '/pollers?n=12')).body).toBe('started');
        await app!.close();
        // Node emits warnings on the next tick.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
      expect(db.queries).toBe(12);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [] });
    },
  );

  it(
    'counts accepted connections with no request parsed in the draining line, and serves the one whose request ' +
      'completes',
    async () => {
      const { port, drain, lifecycle } = await listen();
      const logged: string[] = [];
      vi.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void logged.push(String(message)));
      const empty = rawConnection(port);
      const partial = rawConnection(port);
      partial.socket.write('GET /slow?ms=10 HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await waitFor(() => drain.inFlight === 2, 5_000, 'both connections accepted');
      const closing = app!.close();
      await waitFor(() => logged.some((line) => line.startsWith('draining ')), 5_000, 'the draining line');
      // The two connections: phase 5 ended once the listener was closed (listener-close.ts), so it is no unit any more.
      expect(logged.find((line) => line.startsWith('draining '))).toBe('draining 2 unit(s) (http 2)');
      // The connection that sent nothing is closed after its grace, without a byte.
      expect(await empty.received).toBe('');
      partial.socket.write('\r\n');
      expect(await partial.received).toMatch(/^HTTP\/1\.1 200 /);
      await closing;
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
    },
  );
});
