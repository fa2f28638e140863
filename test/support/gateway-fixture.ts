import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { FakeDbPool } from './fake-db';

/**
 * The main of a gateway fixture: makes the app from FIXTURE (JSON), listens on a free
 * loopback port, opens the pool's gate on SIGUSR2 and prints `LISTENING <port>`.
 */
export function serveFixture<C>(create: (config: C) => Promise<INestApplication>): void {
  const config = JSON.parse(process.env.FIXTURE ?? '{}') as C;
  create(config)
    .then(async (app) => {
      await app.listen(0, '127.0.0.1');
      // Lets the test release the handlers held at the pool's gate.
      process.on('SIGUSR2', () => app.get(FakeDbPool).open());
      console.log(`LISTENING ${(app.getHttpServer().address() as AddressInfo).port}`);
    })
    .catch((error: unknown) => {
      console.error(`FIXTURE FAILED ${error instanceof Error ? error.message : String(error)}`);
      process.exit(2);
    });
}
