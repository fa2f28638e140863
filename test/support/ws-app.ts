import { Module, UseInterceptors, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import { finalize, interval, map, type Observable } from 'rxjs';
import { GracefulInterceptor, GracefulModule, enableGracefulShutdown, type GracefulOptions } from '../../src';
import { FakeDbPool } from './fake-db';
import type { Platform } from './test-app';

/** Where the app's WsAdapter gateways listen besides the app's own server. */
export interface WsGatewayPorts {
  /** A gateway on its own port (`@WebSocketGateway(port)`: ws makes the HTTP server). */
  ownPort?: number;
  /**
   * A gateway on its own port with a path (`@WebSocketGateway(port, { path: '/events' })`: Nest's WsAdapter makes the
   * HTTP server).
   */
  pathPort?: number;
}

/** The `ws` server-side client, as far as the gateways instrument it. */
interface ServerClient {
  close(code?: number, reason?: string): void;
}

/**
 * The handlers every gateway of the test app has. The fixture's stdout tells the test what
 * happened server-side: `EVENT close-sent <port>` when the library sends a client its close
 * frame, `EVENT disconnected <port>` when a client's connection ended, `EVENT ticks-released`
 * when a stream is unsubscribed.
 */
class EventsHandlers implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    protected readonly db: FakeDbPool,
    private readonly port: number,
  ) {}

  handleConnection(client: ServerClient): void {
    const close = client.close.bind(client);
    client.close = (code, reason) => {
      close(code, reason);
      console.log(`EVENT close-sent ${this.port}`);
    };
  }

  handleDisconnect(): void {
    console.log(`EVENT disconnected ${this.port}`);
  }

  /**
   * Waits `ms` (negative: until SIGUSR2 opens the pool's gate), then queries the pool: fails if it was closed under it.
   */
  @SubscribeMessage('slow')
  async slow(@MessageBody() body: { ms?: number } | undefined): Promise<{ event: string; data: { row: string } }> {
    return { event: 'slow', data: { row: await this.db.slowQuery(body?.ms ?? -1) } };
  }

  /** An endless stream: its work is only the stream, released when the client leaves. */
  @SubscribeMessage('ticks')
  ticks(): Observable<{ event: string; data: number }> {
    console.log('EVENT ticks-started');
    return interval(20).pipe(
      map((n) => ({ event: 'tick', data: n })),
      finalize(() => console.log('EVENT ticks-released')),
    );
  }
}

@WebSocketGateway()
@UseInterceptors(GracefulInterceptor)
class MainGateway extends EventsHandlers {
  constructor(db: FakeDbPool) {
    super(db, 0);
  }
}

/** An app whose WsAdapter gateways serve on its own HTTP server and on `ports`, not yet listening. */
export async function createWsApp(
  platform: Platform,
  options: GracefulOptions,
  ports: WsGatewayPorts = {},
): Promise<INestApplication> {
  const gateways: Array<new (db: FakeDbPool) => EventsHandlers> = [MainGateway];
  if (ports.ownPort !== undefined) {
    const port = ports.ownPort;
    @WebSocketGateway(port)
    @UseInterceptors(GracefulInterceptor)
    class OwnPortGateway extends EventsHandlers {
      constructor(db: FakeDbPool) {
        super(db, port);
      }
    }
    gateways.push(OwnPortGateway);
  }
  if (ports.pathPort !== undefined) {
    const port = ports.pathPort;
    @WebSocketGateway(port, { path: '/events' })
    @UseInterceptors(GracefulInterceptor)
    class PathGateway extends EventsHandlers {
      constructor(db: FakeDbPool) {
        super(db, port);
      }
    }
    gateways.push(PathGateway);
  }
  @Module({ imports: [GracefulModule.forRoot(options)], providers: [FakeDbPool, ...gateways] })
  class WsAppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(WsAppModule, adapter, { logger: ['error', 'warn', 'log'] });
  app.useWebSocketAdapter(new WsAdapter(app));
  enableGracefulShutdown(app);
  return app;
}
