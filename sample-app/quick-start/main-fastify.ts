// src/main.ts
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { enableGracefulShutdown } from '../../src';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter());
  enableGracefulShutdown(app); // instead of app.enableShutdownHooks()
  await app.listen(process.env.PORT ?? 3000, '0.0.0.0');
}
void bootstrap();
