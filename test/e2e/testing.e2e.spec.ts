import { Controller, Get, Module, Query, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { GRACEFUL_OPTIONS, GracefulLifecycle, GracefulModule, enableGracefulShutdown, type Registrar } from '../../src';
import { GracefulHealthModule } from '../../src/health';
import { gracefulTestingFactory, gracefulTestingOptions } from '../../src/testing';
import { FakeDbPool } from '../support/fake-db';
import { closedPort } from '../support/closed-port';
import { waitFor } from '../support/http-client';
import type { Platform } from '../support/test-app';

@Controller()
class OrdersController {
  constructor(private readonly db: FakeDbPool) {}

  @Get('orders')
  async orders(@Query('ms') ms = '0'): Promise<{ row: string }> {
    return { row: await this.db.slowQuery(Number(ms)) };
  }
}

const hookRuns: string[] = [];
/** The Terminus options of the last app built. */
let terminusOptions = { gracefulShutdownTimeoutMs: 0 };

/** The app's own root module, as production runs it: Consul, a delay, Terminus' wait, a hook. */
async function appModule() {
  const port = await closedPort();
  terminusOptions = { gracefulShutdownTimeoutMs: 3_000 };
  @Module({
    imports: [
      GracefulModule.forRoot({
        name: 'orders',
        shutdownDelay: 5_000,
        consul: { address: `127.0.0.1:${port}` },
        beforeStop: ({ reason }) => void hookRuns.push(`beforeStop ${reason}`),
      }),
      GracefulHealthModule.forRoot(),
      TerminusModule.forRoot(terminusOptions),
    ],
    controllers: [OrdersController],
    providers: [FakeDbPool],
  })
  class AppModule {}
  return AppModule;
}

/** The README's recipe: the app module unchanged, its graceful options replaced for the test. */
async function createApp(platform: Platform, overrides = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [await appModule()] })
    .overrideProvider(GRACEFUL_OPTIONS)
    .useFactory(gracefulTestingFactory(overrides))
    .compile();
  const app = moduleRef.createNestApplication(platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), {
    logger: ['error'],
  });
  enableGracefulShutdown(app);
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}

describe.each<Platform>(['express', 'fastify'])('the testing entry on %s, with supertest', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    if (app && app.get(GracefulLifecycle).state !== 'stopped') await app.close();
    app = undefined;
    hookRuns.length = 0;
  });

  it(
    'keeps the app’s options but installs no signal handler, ' + 'has no delay, never exits and registers nowhere',
    async () => {
      const signalsBefore = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
      app = await createApp(platform);
      const options = app.get(GRACEFUL_OPTIONS);
      expect(options).toMatchObject({ signals: [], shutdownDelay: 0, exit: false });
      expect(options.registrar).toBeUndefined();
      expect(process.listenerCount('SIGTERM')).toBe(signalsBefore.term);
      expect(process.listenerCount('SIGINT')).toBe(signalsBefore.int);

      await request(app.getHttpServer()).get('/health/ready').expect(200);
      const orders = await request(app.getHttpServer()).get('/orders').expect(200);
      expect(orders.body).toEqual({ row: 'row' });

      const lifecycle = app.get(GracefulLifecycle);
      expect(lifecycle.registrationStatus).toBe('none');
      await app.close();
      // Terminus' wait was neutralised, and not moved into shutdownDelay.
      expect(terminusOptions.gracefulShutdownTimeoutMs).toBe(0);
      expect(options.shutdownDelay).toBe(0);
      expect(lifecycle.state).toBe('stopped');
      expect(lifecycle.report).toMatchObject({ exitCode: 0, aborted: [] });
      expect(hookRuns).toEqual(['beforeStop app.close()']);
      expect(process.listenerCount('SIGTERM')).toBe(signalsBefore.term);
    },
  );

  it('still drains: a request in flight at app.close() gets its answer before the pool closes', async () => {
    const started = await createApp(platform);
    app = started;
    const db = started.get(FakeDbPool);
    const slow = request(started.getHttpServer())
      .get('/orders?ms=-1')
      .then((r) => r);
    await waitFor(() => db.entered === 1, 5_000, 'the request in its handler');
    const closing = started.close();
    // Released once phase 5 closed the listener, so that it ends during the drain.
    await waitFor(() => !started.getHttpServer().listening, 5_000, 'phase 5');
    db.open();
    await closing;
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(db.closedAt).toBeGreaterThan(db.lastQueryAt!);
    expect(app.get(GracefulLifecycle).report).toMatchObject({ exitCode: 0, drained: 1 });
  });

  it('gives a registry back when asked', async () => {
    const registered: string[] = [];
    const registrar: Registrar = {
      register: async (instance) => void registered.push(instance.name),
      deregister: async () => undefined,
    };
    app = await createApp(platform, { registrar });
    await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(registered).toEqual(['orders']);
    expect(app.get(GracefulLifecycle).registrationStatus).toBe('registered');
  });
});

describe('gracefulTestingOptions()', () => {
  it('puts the testing defaults under the options given', () => {
    expect(gracefulTestingOptions()).toEqual({ signals: [], shutdownDelay: 0, exit: false });
    expect(gracefulTestingOptions({ stopTimeout: 1_000, shutdownDelay: 50 })).toEqual({
      signals: [],
      shutdownDelay: 50,
      exit: false,
      stopTimeout: 1_000,
    });
  });
});
