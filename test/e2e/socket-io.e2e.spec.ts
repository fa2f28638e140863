import type { INestApplication } from '@nestjs/common';
import { Agent } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GracefulLifecycle, type GracefulOptions } from '../../src';
import { SOCKET_IO_REFUSAL } from '../../src/drain/transports/socket-io.participant';
import { gracefulTestingOptions } from '../../src/testing';
import { FakeDbPool } from '../support/fake-db';
import { get, waitFor, type Reply } from '../support/http-client';
import {
  connectClient,
  createSocketIoApp,
  emitGated,
  refusedConnect,
  type SocketIoClient,
  type Transport,
} from '../support/socket-io-app';
import type { Platform } from '../support/test-app';

describe.each<Platform>(['express', 'fastify'])('Socket.IO gateway (IoAdapter) on %s', (platform) => {
  let app: INestApplication | undefined;
  const clients: SocketIoClient[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const c of clients.splice(0)) c.socket.close();
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
  });

  async function listen(options: GracefulOptions = {}) {
    app = await createSocketIoApp(
      platform,
      gracefulTestingOptions({ advertiseHost: '127.0.0.1', stopTimeout: 5_000, ...options }),
    );
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as NetServer;
    const port = (server.address() as AddressInfo).port;
    return { server, port, db: app.get(FakeDbPool), lifecycle: app.get(GracefulLifecycle) };
  }

  async function client(port: number, transport: Transport): Promise<SocketIoClient> {
    const c = await connectClient(port, transport);
    clients.push(c);
    return c;
  }

  it.each<Transport>(['websocket', 'polling'])(
    'acks every emit in flight over %s, refuses new clients, then closes the transport so the client reconnects',
    async (transport) => {
      const { server, port, db, lifecycle } = await listen();
      const busy = await client(port, transport);
      const idle = await client(port, transport);
      const acks = Array.from({ length: 5 }, () => emitGated(busy));
      await waitFor(() => db.entered === 5, 5_000, 'the five handlers');
      const closing = app!.close();
      await waitFor(() => !server.listening, 5_000, 'the listener to close');
      const refused = await refusedConnect(port, transport);
      // The idle client is told at phase 5, while the busy one's handlers still run.
      const idleReason = await idle.disconnected;
      expect(busy.events).toEqual([]);
      db.open();
      expect(await Promise.all(acks)).toEqual(Array.from({ length: 5 }, () => ({ row: 'row' })));
      const busyReason = await busy.disconnected;
      await closing;
      expect(refused.message).toMatch(transport === 'websocket' ? /websocket error/ : /xhr poll error/);
      expect(busy.events).toEqual(['ack', 'ack', 'ack', 'ack', 'ack', `disconnect ${busyReason}`]);
      // Not "io server disconnect": the client keeps trying, to whichever instance answers.
      for (const [c, reason] of [
        [idle, idleReason],
        [busy, busyReason],
      ] as const) {
        expect(['transport close', 'transport error']).toContain(reason);
        expect(c.socket.active).toBe(true);
      }
      if (transport === 'websocket') {
        expect([idleReason, busyReason]).toEqual(['transport close', 'transport close']);
      } else {
        // The acks came in the waiting poll; the next poll met the closed listener.
        expect(busyReason).toBe('transport error');
      }
      expect(db.queries).toBe(5);
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      // The handlers are the work; the connections and the long-poll carrying the acks are not.
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 5, aborted: [] });
    },
  );

  it(
    'a message a client sends after the listener closed, while ' + 'its handlers still run, is acked before its close',
    async () => {
      const { server, port, db, lifecycle } = await listen();
      const busy = await client(port, 'websocket');
      const first = emitGated(busy);
      await waitFor(() => db.entered === 1, 5_000, 'the first handler');
      const closing = app!.close();
      await waitFor(() => !server.listening, 5_000, 'the listener to close');
      const second = emitGated(busy);
      await waitFor(() => db.entered === 2, 5_000, 'the second handler');
      db.open();
      expect(await Promise.all([first, second])).toEqual([{ row: 'row' }, { row: 'row' }]);
      expect(await busy.disconnected).toBe('transport close');
      await closing;
      expect(busy.events).toEqual(['ack', 'ack', 'disconnect transport close']);
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 2, aborted: [] });
    },
  );

  it(
    'refuses an engine.io handshake that comes on a ' + 'keep-alive connection opened before the listener closed',
    async () => {
      const { port } = await listen();
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const handshake = '/socket.io/?EIO=4&transport=polling';
      expect((await get(port, handshake, agent)).status).toBe(200);
      let second: Promise<Reply> | undefined;
      const close = NetServer.prototype.close;
      vi.spyOn(NetServer.prototype, 'close').mockImplementation(function (this: NetServer, ...args) {
        const closed = close.apply(this, args);
        // Phase 5 just closed the listener; the connection is in its grace and takes this request.
        second ??= get(port, handshake, agent);
        return closed;
      });
      await app!.close();
      const reply = await second!;
      agent.destroy();
      expect(reply.status).toBe(403);
      expect(reply.body).toContain(SOCKET_IO_REFUSAL);
    },
  );

  it('reports a handler still running at the deadline as aborted, and still closes its client', async () => {
    const { port, db, lifecycle } = await listen({ stopTimeout: 300, abortGrace: 100 });
    const stuck = await client(port, 'websocket');
    let acked = false;
    void emitGated(stuck).then(() => (acked = true));
    await waitFor(() => db.entered === 1, 5_000, 'the handler');
    await app!.close();
    expect(await stuck.disconnected).toBe('transport close');
    expect(acked).toBe(false);
    expect(lifecycle.report).toMatchObject({
      exitCode: 1,
      drained: 0,
      aborted: [{ kind: 'ws', name: 'OrdersGateway.gated', ageMs: expect.any(Number) }],
    });
  });
});
