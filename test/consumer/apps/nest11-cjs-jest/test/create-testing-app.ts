import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GRACEFUL_OPTIONS, enableGracefulShutdown, type GracefulOptions } from 'nestjs-graceful';
import { gracefulTestingFactory } from 'nestjs-graceful/testing';
import { AppModule } from '../src/app.module.js';

/**
 * The app's own module with the testing entry's options (no signals, no delay, no exit, no registry); `overrides` adds
 * to them.
 */
export async function createTestingApp(overrides: GracefulOptions = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(GRACEFUL_OPTIONS)
    .useFactory(gracefulTestingFactory(overrides))
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  enableGracefulShutdown(app);
  return app;
}
