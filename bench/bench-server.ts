import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import type { Observable } from 'rxjs';
import { GracefulModule, enableGracefulShutdown } from '../src';
import type { Variant } from './variants';

/**
 * The app the tracking benchmark measures: GET /ping on a trivial route, in the variant
 * named by BENCH_VARIANT, on BENCH_PLATFORM. Prints `LISTENING <port>`, answers the
 * parent's IPC 'cpu' with its process.cpuUsage(), and exits on IPC 'exit'.
 */
@Controller()
class PingController {
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

/** The reference cost the library avoids on HTTP: a global interceptor that does nothing. */
@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

function rootModule(variant: Variant) {
  const providers: Provider[] =
    variant === 'global-interceptor' ? [{ provide: APP_INTERCEPTOR, useClass: NoopInterceptor }] : [];
  @Module({
    imports:
      variant === 'graceful' ? [GracefulModule.forRoot({ exit: false, signals: [], advertiseHost: '127.0.0.1' })] : [],
    controllers: [PingController],
    providers,
  })
  class BenchModule {}
  return BenchModule;
}

async function main(): Promise<void> {
  const variant = (process.env.BENCH_VARIANT ?? 'bare') as Variant;
  const platform = process.env.BENCH_PLATFORM ?? 'express';
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(rootModule(variant), adapter, { logger: false });
  if (variant === 'graceful') enableGracefulShutdown(app);
  await app.listen(0, '127.0.0.1');
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'exit') process.exit(0);
  });
  // The parent went away: do not outlive it.
  process.on('disconnect', () => process.exit(0));
  console.log(`LISTENING ${(app.getHttpServer().address() as AddressInfo).port}`);
}

main().catch((error: unknown) => {
  console.error(`BENCH SERVER FAILED ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(2);
});
