// src/main.ts
import { NestFactory } from '@nestjs/core';
import { enableGracefulShutdown } from '../../src';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  enableGracefulShutdown(app); // instead of app.enableShutdownHooks()
  await app.listen(process.env.PORT ?? 3000);
}
void bootstrap();
