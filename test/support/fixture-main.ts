import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeDbPool } from './fake-db';

/**
 * The end of a fixture app's start: listens on a free loopback port, lets SIGUSR2 open the
 * pool's gate (the requests held at it go on), and prints `LISTENING <port>` for spawnApp().
 * `gateAfterClose`: SIGUSR2 opens it only once the listener is closed, the moment phase 5 tells
 * HTTP/1.1 connections to close (a turn of the event loop or more after the `close done` line).
 */
export async function listenAsFixture(app: INestApplication, { gateAfterClose = false } = {}): Promise<void> {
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const open = () => app.get(FakeDbPool).open();
  process.on('SIGUSR2', () => (gateAfterClose ? whenNotListening(server, open) : open()));
  console.log(`LISTENING ${(server.address() as AddressInfo).port}`);
}

/** Calls `then` in the first check phase in which `server` no longer listens. */
function whenNotListening(server: Server, then: () => void): void {
  if (server.listening) setImmediate(() => whenNotListening(server, then));
  else then();
}

/** Runs a fixture's start; a failure prints `FIXTURE FAILED` and exits 2. */
export function runFixture(start: () => Promise<void>): void {
  start().catch((error: unknown) => {
    console.error(`FIXTURE FAILED ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  });
}
