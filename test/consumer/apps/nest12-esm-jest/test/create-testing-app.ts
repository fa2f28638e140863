import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GracefulModule, enableGracefulShutdown, type GracefulOptions } from 'nestjs-graceful';
import { GracefulHealthModule } from 'nestjs-graceful/health';
import { SlowController } from '../src/slow.controller.js';

/** The app's controllers under test options; `options` adds to them. */
export async function createTestingApp(options: GracefulOptions = {}): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [GracefulModule.forRoot({ signals: [], exit: false, shutdownDelay: 0, ...options }), GracefulHealthModule.forRoot()],
    controllers: [SlowController],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  enableGracefulShutdown(app);
  return app;
}
