import { Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { connect, type AddressInfo } from 'node:net';
import { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  GracefulInterceptor,
  GracefulLifecycle,
  GracefulModule,
  enableGracefulShutdown,
  type GracefulOptions,
} from '../../src';
import { WEBSOCKET_CLOSE_GRACE_MS } from '../../src/drain/http-grace.constants';
import { gracefulTestingOptions } from '../../src/testing';
import { FakeDbPool } from '../support/fake-db';
import { waitFor } from '../support/http-client';
import type { Platform } from '../support/test-app';
import { openWs, type WsClient } from '../support/ws-client';

const options: GracefulOptions = gracefulTestingOptions({ advertiseHost: '127.0.0.1', stopTimeout: 5_000 });

@WebSocketGateway()
@UseInterceptors(GracefulInterceptor)
class SlowGateway {
  constructor(private readonly db: FakeDbPool) {}

  /** Waits `ms`, then queries the pool: fails if the pool was closed under it. */
  @SubscribeMessage('slow')
  async slow(@MessageBody() body: { ms?: number } | undefined): Promise<{ event: string; data: { row: string } }> {
    return { event: 'slow', data: { row: await this.db.slowQuery(body?.ms ?? 300) } };
  }

  /** Subscriptions of 'silent' still open. */
  silentStreams = 0;

  /** A stream that never emits nor completes: its work is only its subscription. */
  @SubscribeMessage('silent')
  silent(): Observable<never> {
    return new Observable<never>(() => {
      this.silentStreams++;
      return () => this.silentStreams--;
    });
  }

  /** Held until the test opens the pool's gate, then queries it. */
  @SubscribeMessage('gated')
  async gated(): Promise<{ event: string; data: { row: string } }> {
    return { event: 'gated', data: { row: await this.db.gatedQuery() } };
  }
}

@Module({ imports: [GracefulModule.forRoot(options)], providers: [SlowGateway, FakeDbPool] })
class WsAppModule {}

describe.each<Platform>(['express', 'fastify'])('WebSocket gateway (WsAdapter) on %s', (platform) => {
  let app: INestApplication | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
  });

  async function listen(): Promise<{ port: number; db: FakeDbPool; lifecycle: GracefulLifecycle }> {
    const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
    app = await NestFactory.create(WsAppModule, adapter, { logger: ['error', 'warn', 'log'] });
    app.useWebSocketAdapter(new WsAdapter(app));
    enableGracefulShutdown(app);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { port, db: app.get(FakeDbPool), lifecycle: app.get(GracefulLifecycle) };
  }

  async function client(port: number): Promise<WsClient> {
    const c = await openWs(port);
    clients.push(c);
    return c;
  }

  it(
    'sends an idle client a 1001 "going away" close at phase ' + '5; the stop waits only for its close handshake',
    async () => {
      const { port, lifecycle } = await listen();
      const idle = await client(port);
      await app!.close();
      // The drain waited for the handshake: the client had read the close frame (and answered it) before the stop
      // ended.
      expect(idle.ws.readyState).toBeGreaterThanOrEqual(WebSocket.CLOSING);
      const closed = await idle.closed;
      expect(closed).toMatchObject({ code: 1001, reason: 'going away' });
      // A close handshake is waited for, but it is no work: nothing drained, nothing aborted.
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 0, aborted: [] });
    },
  );

  it(
    'answers a message in flight when the stop begins, then ' + 'closes 1001; the pool closes after its query',
    async () => {
      const { port, db, lifecycle } = await listen();
      const busy = await client(port);
      const idle = await client(port);
      busy.ws.send(JSON.stringify({ event: 'gated' }));
      await waitFor(() => db.entered === 1, 5_000, 'the handler');
      const closing = app!.close();
      // The idle client is told at phase 5 while the busy handler is still held.
      const idleClosed = await idle.closed;
      expect(idleClosed.code).toBe(1001);
      expect(busy.messages).toEqual([]);
      db.open();
      await busy.closed;
      await closing;
      expect(busy.messages).toEqual([{ event: 'gated', data: { row: 'row' } }]);
      expect(busy.events).toEqual(['message gated', 'close 1001']);
      expect(db.queries).toBe(1);
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
    },
  );

  it(
    'releases a silent stream whose client left, ending its ' + 'unit: the handler was seen returning an Observable',
    async () => {
      const { port, lifecycle } = await listen();
      const gateway = app!.get(SlowGateway);
      const watcher = await client(port);
      watcher.ws.send(JSON.stringify({ event: 'silent' }));
      await waitFor(() => gateway.silentStreams === 1, 5_000, 'the stream');
      watcher.ws.close();
      await waitFor(() => gateway.silentStreams === 0, 5_000, 'the stream released');
      await app!.close();
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 0, aborted: [] });
    },
  );

  it('does not wait long for a client that never answers the close handshake', async () => {
    const { port, lifecycle } = await listen();
    // A raw upgrade that never reads or answers frames: a stuck or vanished peer.
    const raw = connect(port, '127.0.0.1');
    raw.on('error', () => undefined);
    let response = '';
    raw.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    raw.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await waitFor(() => response.includes('\r\n\r\n'), 10_000, 'the 101 response');
    expect(response).toMatch(/^HTTP\/1\.1 101/);
    const rawClosed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    const started = performance.now();
    await app!.close();
    const took = performance.now() - started;
    await rawClosed;
    // The close frame (0x88, code 1001 = 0x03e9) reached it before the socket was cut.
    expect(Buffer.from(response.split('\r\n\r\n')[1]!, 'latin1').subarray(0, 4)).toEqual(
      Buffer.from([0x88, 0x0c, 0x03, 0xe9]),
    );
    // Held for the close handshake's grace, then cut (and not counted as aborted work).
    expect(took).toBeGreaterThan(WEBSOCKET_CLOSE_GRACE_MS - 50);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [] });
  });
});
