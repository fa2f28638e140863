import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { enableGracefulShutdown } from '../../src';
import { CallerModule } from './caller.module';

async function bootstrap(): Promise<void> {
  if (!process.env.CONSUL_HTTP_ADDR) {
    console.error('the caller finds the orders service in Consul: set CONSUL_HTTP_ADDR (e.g. 127.0.0.1:8500)');
    process.exit(1);
  }
  const app = await NestFactory.create(CallerModule);
  enableGracefulShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1');
}

void bootstrap();
