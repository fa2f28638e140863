import {
  Controller,
  Injectable,
  Logger,
  Module,
  UseInterceptors,
  type INestApplication,
  type OnModuleDestroy,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  Payload,
  Server as NestServer,
  Transport,
  type ClientProxy,
  type CustomTransportStrategy,
} from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { connect, type AddressInfo, type Server } from 'node:net';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  GracefulInterceptor,
  GracefulLifecycle,
  GracefulModule,
  enableGracefulShutdown,
  type GracefulOptions,
} from '../../src';
import { gracefulTestingOptions } from '../../src/testing';
import { FakeDbPool } from '../support/fake-db';
import { waitFor } from '../support/http-client';
import type { Platform } from '../support/test-app';
import { tryConnect } from '../support/server-process';

const options: GracefulOptions = gracefulTestingOptions({ advertiseHost: '127.0.0.1', stopTimeout: 5_000 });

@Controller()
@UseInterceptors(GracefulInterceptor)
class SlowMessages {
  constructor(private readonly db: FakeDbPool) {}

  /** Waits `ms`, then queries the pool: fails if the pool was closed under it. */
  @MessagePattern('slow')
  async slow(@Payload() body: { ms?: number } | undefined): Promise<{ row: string; doneAt: number }> {
    return { row: await this.db.slowQuery(body?.ms ?? 300), doneAt: performance.now() };
  }

  /** Held until the test opens the pool's gate, then queries it. */
  @MessagePattern('gated')
  async gated(): Promise<{ row: string }> {
    return { row: await this.db.gatedQuery() };
  }
}

/** Sees what Nest's teardown sees: connections still able to dispatch messages while the pool closes. */
@Injectable()
class TeardownProbe implements OnModuleDestroy {
  /** ServerTCP's own set of accepted sockets (protected): read here only to observe the teardown. */
  openSockets?: Set<unknown>;
  openConnectionsAtDestroy?: number;
  onModuleDestroy(): void {
    this.openConnectionsAtDestroy = this.openSockets?.size;
  }
}

@Module({
  imports: [GracefulModule.forRoot(options)],
  controllers: [SlowMessages],
  providers: [FakeDbPool, TeardownProbe],
})
class HybridAppModule {}

describe('hybrid app with a TCP microservice', () => {
  let app: INestApplication | undefined;
  let client: ClientProxy | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
  });

  async function start(
    platform: Platform = 'express',
  ): Promise<{ port: number; listener: Server; db: FakeDbPool; lifecycle: GracefulLifecycle }> {
    const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
    app = await NestFactory.create(HybridAppModule, adapter, { logger: ['error', 'warn', 'log'] });
    enableGracefulShutdown(app);
    app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const listener = app.getMicroservices()[0]!.unwrap<Server>();
    const port = (listener.address() as AddressInfo).port;
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await client.connect();
    return { port, listener, db: app.get(FakeDbPool), lifecycle: app.get(GracefulLifecycle) };
  }

  it('answers a message in flight when the stop begins; the pool closes only after its handler', async () => {
    const { db, listener, lifecycle } = await start();
    const reply = lastValueFrom(client!.send<{ row: string; doneAt: number }>('slow', { ms: -1 }));
    await waitFor(() => db.entered === 1, 5_000, 'the handler');
    const closing = app!.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lifecycle.state).toBe('draining');
    // Released once the listener closed, so that it ends during the drain.
    await waitFor(() => !listener.listening, 5_000, 'phase 5 to close the listener');
    db.open();
    const { row, doneAt } = await reply;
    await closing;
    expect(row).toBe('row');
    expect(db.queries).toBe(1);
    expect(db.closedAt).toBeGreaterThan(doneAt);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 1, aborted: [] });
  });

  it.each<Platform>(['express', 'fastify'])(
    'answers 12 concurrent messages through the stop without a MaxListenersExceededWarning (%s)',
    async (platform) => {
      const { listener, db, lifecycle } = await start(platform);
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const replies = Array.from({ length: 12 }, () => lastValueFrom(client!.send<{ row: string }>('gated', {})));
        await waitFor(() => db.entered === 12, 5_000, 'the 12 handlers');
        const closing = app!.close();
        // Held until the listener closed: all 12 end during the drain, so all 12 count as drained.
        await waitFor(() => !listener.listening, 5_000, 'phase 5 to close the listener');
        db.open();
        expect((await Promise.all(replies)).map((r) => r.row)).toEqual(Array(12).fill('row'));
        await closing;
        // Node emits warnings on the next tick.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
      expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
      expect(lifecycle.report).toMatchObject({ exitCode: 0, drained: 12, aborted: [] });
    },
  );

  it('refuses new connections from phase 5 while open connections still get their replies', async () => {
    const { port, listener, db, lifecycle } = await start();
    expect(await tryConnect(port)).toBe('connected');
    const first = lastValueFrom(client!.send<{ row: string }>('slow', { ms: 300 }));
    await waitFor(() => db.entered === 1, 10_000, 'the first handler');
    const closing = app!.close();
    await waitFor(() => !listener.listening, 10_000, 'phase 5 to close the listener');
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    // The connection opened before the stop is served until the drain ends.
    const second = lastValueFrom(client!.send<{ row: string }>('slow', { ms: 50 }));
    expect(await Promise.all([first, second])).toEqual([
      expect.objectContaining({ row: 'row' }),
      expect.objectContaining({ row: 'row' }),
    ]);
    await closing;
    expect(db.queries).toBe(2);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [] });
  });

  it(
    'closes the open connections at the end of the drain, ' + 'before onModuleDestroy, and does not wait for idle ones',
    async () => {
      const { port, lifecycle } = await start();
      const idle = connect(port, '127.0.0.1');
      idle.on('error', () => undefined);
      await new Promise((resolve) => idle.once('connect', resolve));
      const idleClosed = new Promise((resolve) => idle.once('close', resolve));
      const probe = app!.get(TeardownProbe);
      probe.openSockets = (
        app!.getMicroservices()[0]!.getTransportServer() as unknown as { openSockets: Set<unknown> }
      ).openSockets;
      await waitFor(() => probe.openSockets!.size === 2, 10_000, 'the server to accept the idle connection');
      await app!.close();
      // An idle connection held until the deadline would have run the abort phase.
      expect(lifecycle.report!.phases.map((p) => p.phase)).not.toContain('abort');
      expect(probe.openConnectionsAtDestroy).toBe(0);
      await idleClosed;
      expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [] });
    },
  );
});

/** A custom transport strategy, which no drain participant knows. */
class InMemoryStrategy extends NestServer implements CustomTransportStrategy {
  listen(callback: () => void): void {
    callback();
  }
  close(): void {}
  on(): void {}
  unwrap<T>(): T {
    return undefined as T;
  }
}

describe('a microservice no drain participant knows', () => {
  afterEach(() => vi.restoreAllMocks());

  it("is named in a warning at start-up that says its work is closed by Nest's teardown, not drained", async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const app = await NestFactory.create(HybridAppModule, new ExpressAdapter(), { logger: ['error', 'warn', 'log'] });
    enableGracefulShutdown(app);
    app.connectMicroservice({ strategy: new InMemoryStrategy() });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const warnings = warn.mock.calls.map(([message]) => String(message));
    await app.close();
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^custom transport InMemoryStrategy has no drain participant: .*closed by Nest's teardown, not drained/,
      ),
    );
    expect(app.get(GracefulLifecycle).report).toMatchObject({ exitCode: 0 });
  });
});
