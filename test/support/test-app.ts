import {
  Controller,
  Get,
  Injectable,
  Module,
  Query,
  UseGuards,
  type CanActivate,
  type DynamicModule,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { GracefulModule, WorkTracker, enableGracefulShutdown, type GracefulOptions } from '../../src';
import { FakeDbPool } from './fake-db';

export type Platform = 'express' | 'fastify';

/** Says no once the pool's gate opens: a request rejected before any handler or interceptor runs. */
@Injectable()
class SlowDenyGuard implements CanActivate {
  constructor(private readonly db: FakeDbPool) {}

  async canActivate(): Promise<boolean> {
    await this.db.gatedQuery();
    return false;
  }
}

@Controller()
class SlowController {
  constructor(
    private readonly db: FakeDbPool,
    private readonly work: WorkTracker,
  ) {}

  @Get('ping')
  ping(): string {
    return 'pong';
  }

  /** Waits `ms`, then queries the pool: fails if the pool was closed under it. */
  @Get('slow')
  async slow(@Query('ms') ms = '200'): Promise<{ row: string }> {
    return { row: await this.db.slowQuery(Number(ms)) };
  }

  /** Held until the test opens the pool's gate, then queries it. */
  @Get('gated')
  async gated(): Promise<{ row: string }> {
    return { row: await this.db.gatedQuery() };
  }

  @Get('guarded')
  @UseGuards(SlowDenyGuard)
  guarded(): string {
    return 'never reached';
  }

  /** Never answers: a stuck request. */
  @Get('stuck')
  stuck(): Promise<never> {
    return new Promise(() => undefined);
  }

  /**
   * Held until the test opens the pool's gate, then tracks a follow-up job of `then` ms that queries too, and answers.
   */
  @Get('chained')
  async chained(@Query('then') then = '300'): Promise<string> {
    await this.db.gatedQuery();
    void this.work.track(this.db.slowQuery(Number(then)), 'follow-up');
    return 'started';
  }

  /** Begins `n` jobs that never end. */
  @Get('forever')
  forever(@Query('n') n = '1'): string {
    for (let i = 0; i < Number(n); i++) this.work.begin('forever');
    return 'started';
  }

  /** Begins `n` pollers as the README shows: each stops on its job's draining signal, after one last query. */
  @Get('pollers')
  pollers(@Query('n') n = '1'): string {
    for (let i = 0; i < Number(n); i++) {
      const job = this.work.begin('poller');
      job.draining.addEventListener('abort', () => void this.db.query().finally(job.done));
    }
    return 'started';
  }

  /** Starts background work that outlives the response. */
  @Get('background')
  background(@Query('ms') ms = '200'): string {
    void this.work.track(this.db.slowQuery(Number(ms)), 'background-job');
    return 'started';
  }
}

/** `extra`: more imports, controllers and providers for the test app's root module (e.g. GracefulHealthModule). */
export function testModule(options: GracefulOptions, extra: ModuleMetadata = {}): DynamicModule {
  @Module({
    imports: [GracefulModule.forRoot(options), ...(extra.imports ?? [])],
    controllers: [SlowController, ...(extra.controllers ?? [])],
    providers: [FakeDbPool, ...(extra.providers ?? [])],
  })
  class TestAppModule {}
  return { module: TestAppModule };
}

/** The server the adapter makes: HTTPS with `https`; HTTP/2 with `http2` (Fastify only), secure with `https` too. */
export interface TestServerOptions {
  https?: { key: string; cert: string; allowHTTP1?: boolean };
  http2?: boolean;
}

function adapterFor(platform: Platform, { https, http2 }: TestServerOptions): ExpressAdapter | FastifyAdapter {
  if (platform === 'express') {
    if (http2) throw new Error('test-app: Nest cannot serve HTTP/2 through Express');
    return new ExpressAdapter();
  }
  if (http2) return https ? new FastifyAdapter({ http2: true, https }) : new FastifyAdapter({ http2: true });
  return https ? new FastifyAdapter({ https }) : new FastifyAdapter();
}

/** `attach: false` leaves out enableGracefulShutdown(app), as an app relying on Nest 12's close() seam would. */
export async function createTestApp(
  platform: Platform,
  options: GracefulOptions,
  extra?: ModuleMetadata,
  { attach = true, server = {} }: { attach?: boolean; server?: TestServerOptions } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(testModule(options, extra), adapterFor(platform, server), {
    logger: ['error', 'warn', 'log'],
    abortOnError: false,
    httpsOptions: platform === 'express' ? server.https : undefined,
  });
  if (attach) enableGracefulShutdown(app);
  return app;
}
