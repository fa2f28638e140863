import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from '../support/closed-port';
import { connectClient, emitGated, refusedConnect, type SocketIoClient } from '../support/socket-io-app';
import { spawnApp, type SpawnedApp } from '../support/spawn-app';
import type { Platform } from '../support/test-app';

const running = new Set<SpawnedApp>();
const clients = new Set<SocketIoClient>();
afterEach(() => {
  for (const client of clients) client.socket.close();
  clients.clear();
  for (const app of running) app.kill('SIGKILL');
  running.clear();
});

/** 'ECONNREFUSED' when nothing listens on `port`, 'accepted' when a connection was. */
const tcpConnect = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

const reportOf = (output: string) =>
  JSON.parse(/stop report (\{.*\})/.exec(output)![1]!) as { exitCode: number; drained: number; aborted: unknown[] };

describe.each<Platform>(['express', 'fastify'])(
  'a real process with a Socket.IO gateway on %s and a real SIGTERM',
  (platform) => {
    it(
      'acks every emit in flight over WebSocket and long-polling, refuses new clients, closes the pool after them; ' +
        'exit 0',
      async () => {
        const app = await spawnApp('test/fixtures/socket-io-server.js', {
          FIXTURE: JSON.stringify({ platform, options: { shutdownDelay: 100 } }),
        });
        running.add(app);
        const ws = await connectClient(app.port, 'websocket');
        const polling = await connectClient(app.port, 'polling');
        clients.add(ws).add(polling);
        const acks = [ws, ws, ws, polling, polling, polling].map((client) => emitGated(client));
        await app.waitForLine(/^EVENT entered 6$/);
        app.kill('SIGTERM');
        // Logged at phase 5, after the listener closed.
        await app.waitForLine(/closing 2 Socket\.IO connection\(s\)/);
        expect((await refusedConnect(app.port, 'websocket')).message).toMatch(/websocket error/);
        app.kill('SIGUSR2');
        expect(await Promise.all(acks)).toEqual(Array.from({ length: 6 }, () => ({ row: 'row' })));
        expect(await ws.disconnected).toBe('transport close');
        expect(await polling.disconnected).toBe('transport error');
        expect([ws.socket.active, polling.socket.active]).toEqual([true, true]);
        expect((await app.exited).code).toBe(0);
        expect(app.output()).toMatch(/EVENT db-closed queries=6 /);
        expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 6, aborted: [] });
      },
    );

    it(
      'closes a gateway on its own port at phase 5 like the main ' +
        'port: every emit acked, new clients refused; exit 0',
      async () => {
        const ownPort = await closedPort();
        const app = await spawnApp('test/fixtures/socket-io-server.js', {
          FIXTURE: JSON.stringify({ platform, options: {}, ownPort }),
        });
        running.add(app);
        const ws = await connectClient(ownPort, 'websocket');
        const polling = await connectClient(ownPort, 'polling');
        clients.add(ws).add(polling);
        const acks = [ws, ws, polling, polling].map((client) => emitGated(client));
        await app.waitForLine(/^EVENT entered 4$/);
        app.kill('SIGTERM');
        await app.waitForLine(/close done in \d+ ms/);
        // Before the fix its listener stayed open until Nest's teardown (engine.io refused the handshakes only).
        expect(await tcpConnect(ownPort)).toBe('ECONNREFUSED');
        app.kill('SIGUSR2');
        expect(await Promise.all(acks)).toEqual(Array.from({ length: 4 }, () => ({ row: 'row' })));
        expect(await ws.disconnected).toBe('transport close');
        expect(await polling.disconnected).toBe('transport error');
        expect((await app.exited).code).toBe(0);
        expect(app.output()).toMatch(/EVENT db-closed queries=4 /);
        expect(reportOf(app.output())).toMatchObject({ exitCode: 0, drained: 4, aborted: [] });
      },
    );
  },
);
