// The Nest 12 apps run on Fastify; the Nest 11 app (Express) has its own.
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GRACEFUL_OPTIONS, enableGracefulShutdown, type GracefulOptions } from 'nestjs-graceful';
import { gracefulTestingFactory } from 'nestjs-graceful/testing';
import { AppModule } from '../src/app.module.js';

/**
 * The app's own module with the testing entry's options (no signals, no delay, no exit, no registry); `overrides` adds
 * to them.
 */
export async function createTestingApp(overrides: GracefulOptions = {}): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(GRACEFUL_OPTIONS)
    .useFactory(gracefulTestingFactory(overrides))
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  enableGracefulShutdown(app);
  return app;
}
