import 'reflect-metadata';
import { enableGracefulShutdown } from 'nestjs-graceful';
import { createApp } from './create-app.js';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  enableGracefulShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  console.log(`LISTENING ${address.port}`);
}

void bootstrap();
