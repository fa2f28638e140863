import { Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { io, type Socket } from 'socket.io-client';
import { GracefulInterceptor, GracefulModule, enableGracefulShutdown, type GracefulOptions } from '../../src';
import { FakeDbPool } from './fake-db';
import type { Platform } from './test-app';

@WebSocketGateway()
@UseInterceptors(GracefulInterceptor)
class OrdersGateway {
  constructor(protected readonly db: FakeDbPool) {}

  /** Held until the test opens the pool's gate, then queries it; the return value is the ack. */
  @SubscribeMessage('gated')
  async gated(): Promise<{ row: string }> {
    return { row: await this.db.gatedQuery() };
  }
}

/**
 * An app with one Socket.IO gateway (IoAdapter on the app's HTTP server), and with `ownPort`
 * a second one on that port (Socket.IO makes its HTTP server), not yet listening.
 */
export async function createSocketIoApp(
  platform: Platform,
  options: GracefulOptions,
  ownPort?: number,
): Promise<INestApplication> {
  const gateways: Array<typeof OrdersGateway> = [OrdersGateway];
  if (ownPort !== undefined) {
    // GracefulInterceptor is inherited: applied again, it would count each handler twice.
    @WebSocketGateway(ownPort)
    class OwnPortGateway extends OrdersGateway {}
    gateways.push(OwnPortGateway);
  }
  @Module({ imports: [GracefulModule.forRoot(options)], providers: [...gateways, FakeDbPool] })
  class SocketIoAppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(SocketIoAppModule, adapter, { logger: ['error', 'warn', 'log'] });
  app.useWebSocketAdapter(new IoAdapter(app));
  enableGracefulShutdown(app);
  return app;
}

export type Transport = 'websocket' | 'polling';

export interface SocketIoClient {
  socket: Socket;
  /** Acks and the disconnect, in arrival order. */
  events: string[];
  disconnected: Promise<string>;
}

/** A socket.io client that reconnects as a real one would, but not before the test ends. */
export function connectClient(port: number, transport: Transport): Promise<SocketIoClient> {
  const socket = io(`http://127.0.0.1:${port}`, {
    transports: [transport],
    reconnectionDelay: 60_000,
    reconnectionDelayMax: 60_000,
  });
  const events: string[] = [];
  const disconnected = new Promise<string>((resolve) =>
    socket.once('disconnect', (reason) => {
      events.push(`disconnect ${reason}`);
      resolve(reason);
    }),
  );
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, events, disconnected }));
    socket.once('connect_error', reject);
  });
}

/** Emits 'gated' and resolves with its ack. */
export function emitGated(client: SocketIoClient): Promise<unknown> {
  return new Promise((resolve) =>
    client.socket.emit('gated', {}, (ack: unknown) => {
      client.events.push('ack');
      resolve(ack);
    }),
  );
}

/** Resolves with the error of a connect attempt that is refused; rejects if it is served. */
export function refusedConnect(port: number, transport: Transport): Promise<Error> {
  const socket = io(`http://127.0.0.1:${port}`, { transports: [transport], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.close();
      reject(new Error('a Socket.IO connection was served after the listener closed'));
    });
    socket.once('connect_error', (error) => {
      socket.close();
      resolve(error);
    });
  });
}
