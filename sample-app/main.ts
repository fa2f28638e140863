import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { enableGracefulShutdown } from '../src';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  enableGracefulShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
  new Logger('Sample').log(
    `listening on ${await app.getUrl()} (pid ${process.pid}); try GET /orders/7?delay=3000, then stop it`,
  );
}

void bootstrap();
